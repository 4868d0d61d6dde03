"""Value types of the de-identification engine: boxes, the policy, the clean image and the result.

Owns no behaviour beyond validation. Imports only the standard library (and report.py for the
report type). ``CleanImage`` is the only type the media store accepts for shareable media; it can be
built only with the engine's private seal, so an un-scrubbed image cannot be passed off as clean by
accident (a determined caller inside the process can always forge anything: this guards mistakes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
class Box:
    """A rectangle in pixel coordinates of the upright original image."""

    x: int
    y: int
    w: int
    h: int

    def __post_init__(self) -> None:
        for name in ("x", "y", "w", "h"):
            if not isinstance(getattr(self, name), int):
                raise TypeError(f"Box.{name} must be an int")
        if self.w <= 0 or self.h <= 0:
            raise ValueError("Box width and height must be positive")

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def area(self) -> int:
        return self.w * self.h

    def clip(self, width: int, height: int) -> Box | None:
        """This box intersected with an image of the given size, or None if they do not meet."""
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.right), min(height, self.bottom)
        if x1 <= x0 or y1 <= y0:
            return None
        return Box(x0, y0, x1 - x0, y1 - y0)

    def grow(self, margin_x: int, margin_y: int) -> Box:
        return Box(self.x - margin_x, self.y - margin_y, self.w + 2 * margin_x, self.h + 2 * margin_y)

    def shift(self, dx: int, dy: int) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)

    def to_json(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}


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
    face_max_side: int = 800
    # Rotations (degrees, counter-clockwise) at which faces are searched, for sideways faces.
    face_rotations: tuple[int, ...] = (0, 90, 270)
    face_min_confidence: float = 0.9
    # A detected text box is kept (not covered) only when the recogniser reads an allow-listed
    # marker with at least this confidence; below ``text_min_confidence`` a box is treated as texture.
    text_allow_confidence: float = 0.8
    text_min_confidence: float = 0.5
    face_margin: float = 0.25
    text_margin: float = 0.25
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
    """The engine's answer: accepted with a clean image, or refused with a precise reason."""

    accepted: bool
    reason: str | None
    image: CleanImage | None
    report: DeidentificationReport

    def __post_init__(self) -> None:
        if self.accepted != (self.image is not None) or self.accepted == (self.reason is not None):
            raise ValueError("accepted results carry an image and no reason; refused ones the reverse")


class Refusal(Exception):
    """Raised inside the engine for bad input; turned into a refused result, never escapes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
