"""Value types of the de-identification engine: boxes, the policy, the clean image and the result.

Owns no behaviour beyond validation. Imports only the standard library, geometry.py (``Box``, re-exported
here for older imports) and report.py for the report type. ``CleanImage`` is the only type the media store accepts for shareable media; it can be
built only with the engine's private seal, so an un-scrubbed image cannot be passed off as clean by
accident (a determined caller inside the process can always forge anything: this guards mistakes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Re-exported: older code imports Box from here; new code imports it from geometry.py.
from .geometry import Box as Box
from .report import DeidentificationReport

MIB = 1024 * 1024

DEFAULT_TEXT_ALLOWLIST: tuple[str, ...] = (
    # Laterality and projection markers seen on radiographs.
    "L",
    "R",
    "AP",
    "PA",
    "LAT",
    # Scale-bar units (allowed alone or after a number, e.g. "5 cm").
    "cm",
    "mm",
    "um",
    "µm",
    "nm",
)


@dataclass(frozen=True, slots=True)
class DeidentifyPolicy:
    """Instance settings of the engine. The defaults are the safe ones."""

    max_bytes: int = 40 * MIB
    max_pixels: int = 60_000_000
    text_allowlist: tuple[str, ...] = DEFAULT_TEXT_ALLOWLIST
    cover_faces: bool = True
    cover_text: bool = True
    # Detection runs on a copy whose longest side is at most this; boxes are mapped back.
    ocr_max_side: int = 1280
    # The text detector's input is cut into this many horizontal bands (run concurrently), each
    # sharing this fraction of the input height with its neighbour (longer than any text line is tall).
    ocr_bands: int = 2
    ocr_band_overlap: float = 0.15
    # 640: a face of 20 px there (MTCNN's smallest) is 125 px in a 4000 px photo; 800 cost 1.5x.
    face_max_side: int = 640
    # Rotations (degrees, counter-clockwise) at which faces are searched, for sideways faces.
    face_rotations: tuple[int, ...] = (0, 90, 270)
    face_min_confidence: float = 0.9
    # A detected text box is kept (not covered) only when the recogniser reads an allow-listed
    # marker with at least this confidence; below ``text_min_confidence`` a box is treated as texture.
    text_allow_confidence: float = 0.8
    text_min_confidence: float = 0.5
    face_margin: float = 0.25
    # Margin around a text box, as a fraction of the line's height (its short side): boxes fit the
    # line, they do not grow with its length.
    text_margin: float = 0.25
    # Extra detection passes (text_passes.py): the CLAHE-and-sharpened rendering runs on
    # "greyscale" images only (radiographs, grey printouts; colour photos keep one pass for
    # speed), "always" or "never"; and up to this many of a 16-bit or palette input's extra windows.
    enhanced_text_pass: str = "greyscale"
    # The inverted local-contrast pass (faint light print on dark labels), same values.
    inverted_text_pass: str = "greyscale"
    max_window_passes: int = 2
    # Boxes the recogniser read poorly are read again (enhanced, rotated); at most this many per
    # image, the rest are judged by the label test alone.
    max_rereads: int = 16
    # When the engine's own boxes would cover more than this share of the image it does not paint
    # them: the result needs review (DeidentificationResult.needs_review) and the report carries
    # the proposed boxes for the clinician and the reviewer.
    review_coverage: float = 0.35
    display_max_side: int = 2048
    thumbnail_max_side: int = 400
    jpeg_quality: int = 90
    # DICOM modalities whose images usually carry burned-in annotation.
    burned_in_modalities: tuple[str, ...] = ("US", "SC", "OT", "XC", "ES", "GM", "SM", "DOC")

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.max_pixels <= 0:
            raise ValueError("max_bytes and max_pixels must be positive")
        if not 0.0 <= self.text_min_confidence <= self.text_allow_confidence <= 1.0:
            raise ValueError("need 0 <= text_min_confidence <= text_allow_confidence <= 1")
        if self.ocr_bands < 1 or not 0.0 <= self.ocr_band_overlap < 0.5:
            raise ValueError("need ocr_bands >= 1 and 0 <= ocr_band_overlap < 0.5")
        if any(r not in (0, 90, 180, 270) for r in self.face_rotations):
            raise ValueError("face_rotations must be multiples of 90 degrees")
        for name in ("enhanced_text_pass", "inverted_text_pass"):
            if getattr(self, name) not in ("always", "greyscale", "never"):
                raise ValueError(f'{name} is "always", "greyscale" or "never"')
        if not 0.0 < self.review_coverage <= 1.0:
            raise ValueError("need 0 < review_coverage <= 1")


_SEAL = object()


@dataclass(frozen=True, slots=True)
class CleanImage:
    """A de-identified, re-encoded, verified image and its derivatives.

    Built only by the engine (``encode.build_clean_image``); constructing one elsewhere raises
    TypeError. The media store accepts nothing else as shareable media.
    """

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    display: bytes
    display_width: int
    display_height: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int
    blurhash: str
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("CleanImage is built only by the de-identification engine")
        if self.media_type not in ("image/jpeg", "image/png"):
            raise ValueError("CleanImage is JPEG or PNG")


@dataclass(frozen=True, slots=True)
class DeidentificationResult:
    """The engine's answer: accepted with a clean image, or not accepted with a precise reason.

    A result that is not accepted is either refused (bad input, a failure) or, when
    ``needs_review`` is True, handed over: the engine would have covered more than
    ``DeidentifyPolicy.review_coverage`` of the image, so it painted nothing and shares nothing
    (fail closed). Then ``report.decision == "needs_review"``, ``report.proposed_boxes`` holds the
    boxes it would have painted (upright original coordinates) for the editor to show, and the
    clinician decides (e.g. crop, or confirm the boxes as manual regions and submit again).
    """

    accepted: bool
    reason: str | None
    image: CleanImage | None
    report: DeidentificationReport
    needs_review: bool = False

    def __post_init__(self) -> None:
        if self.accepted != (self.image is not None) or self.accepted == (self.reason is not None):
            raise ValueError("accepted results carry an image and no reason; refused ones the reverse")
        if self.needs_review and self.accepted:
            raise ValueError("a result that needs review is not accepted")


class Refusal(Exception):
    """Raised inside the engine for bad input; turned into a refused result, never escapes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
