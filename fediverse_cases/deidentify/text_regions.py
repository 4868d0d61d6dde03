"""Burned-in text detection with PP-OCR (the ONNX models shipped inside the `rapidocr` wheel, run by
onnxruntime through ocr.py), on a downscaled copy; boxes are mapped back to full size.

What the recogniser read is used for one decision only — is this an allow-listed clinical marker
such as "L", "AP" or "5 cm"? — and is then reduced to a length and a shape category. Imports numpy,
Pillow and ocr.py (onnxruntime, OpenCV: about 0.1 s, against RapidOCR's 0.7 s). Never downloads
anything.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .geometry import Box
from .model import DeidentifyPolicy
from .ocr import PaddleOcr
from .phi_text import scan_text
from .text_passes import PASS_ORIGINAL, enhanced, has_text_strokes


@dataclass(frozen=True, slots=True)
class TextBox:
    box: Box  # in the input image's coordinates
    text: str  # transient: never leaves the engine
    confidence: float
    source: str = PASS_ORIGINAL  # the detection pass (text_passes.py) that found it
    # How an unreadable box was read again ("enhanced", "rotated 180", ...), or None.
    reread: str | None = None


_UNIT_RE = re.compile(r"^\d+(?:[.,]\d+)?\s*([a-zµμ]+)$", re.IGNORECASE)


def _normalise(text: str) -> str:
    return re.sub(r"[\s.:;,'\"()\[\]|_-]+", " ", text).strip()


def is_allowlisted(text: str, allowlist: tuple[str, ...]) -> bool:
    """True for an allow-listed marker ("L", "AP", "cm") or a number followed by an allowed unit."""
    norm = _normalise(text)
    if not norm:
        return False
    upper_allowed = {a.upper() for a in allowlist if not a.islower()}
    lower_allowed = {a.lower() for a in allowlist if a.islower()}
    if norm.upper() in upper_allowed and norm == norm.upper():
        return True
    if norm.lower() in lower_allowed:
        return True
    unit = _UNIT_RE.match(norm.replace(" ", ""))
    return bool(unit and unit.group(1).lower().replace("μ", "µ") in lower_allowed)


def categorise(text: str, confidence: float, policy: DeidentifyPolicy) -> str:
    """A category describing the text's shape (never the text itself)."""
    if confidence < policy.text_min_confidence:
        return "unreadable"
    findings = scan_text(text)
    if findings:
        return findings[0].category
    letters = sum(c.isalpha() for c in text)
    digits = sum(c.isdigit() for c in text)
    if digits and not letters:
        return "number"
    if letters and not digits:
        return "words"
    return "mixed" if letters or digits else "symbols"


def plausible_text(tb: TextBox, image_size: tuple[int, int]) -> bool:
    """False for detections that cannot be legible text: nothing alphanumeric read, or a box far
    larger than the characters read could fill (the detector sometimes frames a whole texture)."""
    chars = sum(c.isalnum() for c in tb.text)
    if chars == 0:
        return False
    long_side, short_side = max(tb.box.w, tb.box.h), min(tb.box.w, tb.box.h)
    per_char = long_side / float(len(tb.text.strip()) or 1)
    return per_char <= 3.0 * short_side and short_side <= 0.3 * min(image_size)


def line_shaped(box: Box, image_size: tuple[int, int]) -> bool:
    """Could this box be one line (or a short block) of print? Long and thin, and not a large part of
    the image: the detector sometimes frames a whole texture, which is no label."""
    long_side, short_side = max(box.w, box.h), min(box.w, box.h)
    return long_side >= 1.5 * short_side and short_side <= 0.08 * min(image_size)


def label_like(grey: np.ndarray, box: Box) -> bool:
    """Fail-closed test for a box the recogniser could not read: line-shaped and, in the original
    pixels, print-like strokes on a flat background (a sticker, a printed block on film)."""
    if not line_shaped(box, (grey.shape[1], grey.shape[0])):
        return False
    return has_text_strokes(grey[box.y : box.bottom, box.x : box.right])


def decide(
    tb: TextBox, image_size: tuple[int, int], policy: DeidentifyPolicy, *, label: bool = False
) -> tuple[bool, str]:
    """(cover?, category) for one detected region under ``policy``. ``label`` says the region looks
    like print on a label (``label_like``): unreadable print there is covered, not dismissed."""
    if tb.confidence >= policy.text_allow_confidence and is_allowlisted(tb.text, policy.text_allowlist):
        return False, "allowlisted_marker"
    if tb.confidence < policy.text_min_confidence or not plausible_text(tb, image_size):
        if label:
            return policy.cover_text, "unreadable_label"
        return False, "not_text"
    if sum(c.isalnum() for c in tb.text) <= 2 and tb.confidence < policy.text_allow_confidence and not label:
        # One or two characters read without conviction are round or barred shapes (coins, rings,
        # vessels read as "O", "CO", "ll"), and would identify no one if they were text.
        return False, "not_text"
    if not label and set(c for c in tb.text if c.isalnum()) <= _ROUND:
        # A row of round things (coins, cells, vessels in cross-section) reads as "000000" in a
        # contrast-normalised pass, at any confidence; zeros alone identify no one.
        return False, "not_text"
    return policy.cover_text, categorise(tb.text, tb.confidence, policy)


_ROUND = frozenset("0Oo")


def _iou(a: Box, b: Box) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.right, b.right), min(a.bottom, b.bottom)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / float(a.area + b.area - inter) if inter else 0.0


def merge_passes(boxes: list[TextBox]) -> list[TextBox]:
    """One finding per text line: boxes of several passes that frame the same line (IoU >= 0.5)
    become the most confident one, its box widened to the union and its source naming every pass
    that saw it ("original+local_contrast_sharpened")."""
    merged: list[TextBox] = []
    for cand in sorted(boxes, key=lambda t: -t.confidence):
        for i, kept in enumerate(merged):
            if _iou(cand.box, kept.box) >= 0.5:
                x0, y0 = min(cand.box.x, kept.box.x), min(cand.box.y, kept.box.y)
                x1, y1 = max(cand.box.right, kept.box.right), max(cand.box.bottom, kept.box.bottom)
                sources = kept.source.split("+")
                source = kept.source if cand.source in sources else f"{kept.source}+{cand.source}"
                merged[i] = TextBox(
                    Box(x0, y0, x1 - x0, y1 - y0), kept.text, kept.confidence, source, kept.reread
                )
                break
        else:
            merged.append(cand)
    return merged


# RapidOCR enlarges any image whose short side is below 736 px before detection; the engine now
# sizes the detector input itself (so that bands are not enlarged) and keeps that behaviour.
DET_MIN_SHORT_SIDE = 736


@dataclass(frozen=True, slots=True)
class TextTile:
    """One detector input: a BGR band of the downscaled image, where it sits, and the scale."""

    pixels: np.ndarray  # BGR, uint8, contiguous
    y0: int  # top of the band in detector-input pixels
    scale: float  # detector-input pixels per image pixel
    size: tuple[int, int]  # (width, height) of the image the boxes are mapped back to
    source: str = PASS_ORIGINAL  # which rendering (text_passes.py) the band was cut from


def detector_scale(width: int, height: int, max_side: int) -> float:
    """Image -> detector-input scale: at most ``max_side`` on the long side, and small images
    enlarged to a short side of ``DET_MIN_SHORT_SIDE`` (what RapidOCR does by itself)."""
    scale = min(1.0, max_side / float(max(width, height)))
    if min(width, height) * scale < DET_MIN_SHORT_SIDE:
        scale = DET_MIN_SHORT_SIDE / float(min(width, height))
    return scale


def band_limits(height: int, bands: int, overlap: int) -> list[tuple[int, int]]:
    """``bands`` horizontal bands (y0, y1) covering ``height`` rows, neighbours sharing ``overlap``
    rows, so that any text line shorter than ``overlap`` lies whole inside at least one band."""
    if bands <= 1 or height <= 2 * overlap:
        return [(0, height)]
    step = (height - overlap) / float(bands)
    out = []
    for i in range(bands):
        y0 = round(i * step)
        y1 = height if i == bands - 1 else round(i * step + step + overlap)
        out.append((y0, min(height, y1)))
    return out


def plan_tiles(
    image: Image.Image,
    policy: DeidentifyPolicy,
    source: str = PASS_ORIGINAL,
    derive: Callable[[Image.Image], Image.Image] | None = None,
) -> list[TextTile]:
    """Downscale ``image`` once for detection (then apply ``derive`` to the copy, if given) and cut
    it into overlapping horizontal bands (one detector pass each; bands run concurrently on
    separate cores)."""
    width, height = image.size
    scale = detector_scale(width, height, policy.ocr_max_side)
    dw, dh = max(1, round(width * scale)), max(1, round(height * scale))
    # reducing_gap: a fast integer box reduction first, then bilinear (a 12 MP photo in 40 % of
    # the time, and better anti-aliased than bilinear alone).
    small = (
        image
        if (dw, dh) == (width, height)
        else image.resize((dw, dh), Image.Resampling.BILINEAR, reducing_gap=1.0)
    )
    if derive is not None:
        small = derive(small)
    arr = np.asarray(small if small.mode == "RGB" else small.convert("RGB"))
    bands = policy.ocr_bands if dh >= 2 * DET_MIN_SHORT_SIDE // 3 else 1
    overlap = max(32, round(dh * policy.ocr_band_overlap))
    return [
        TextTile(np.ascontiguousarray(arr[y0:y1, :, ::-1]), y0, scale, (width, height), source)
        for y0, y1 in band_limits(dh, bands, overlap)
    ]


def _rec_size(img: Image.Image) -> Image.Image:
    """The recogniser reads lines 48 px tall: scale tiny crops up so strokes are not lost."""
    if img.height >= 32:
        return img
    scale = 48.0 / img.height
    return img.resize((max(1, round(img.width * scale)), 48), Image.Resampling.BICUBIC)


class TextDetector:
    """PP-OCR detection + recognition (ocr.py): one pair of single-threaded onnxruntime sessions
    shared by every worker thread (a session runs concurrently on its callers' threads), so that
    several bands and the face detector share the cores without oversubscribing them. Loads the
    models on first use, once. Safe to call from several threads."""

    def __init__(self, policy: DeidentifyPolicy, threads: int = 1) -> None:
        self._policy = policy
        self._threads = threads
        self._lock = threading.Lock()
        self._ocr: PaddleOcr | None = None

    @staticmethod
    def version() -> str:
        from importlib.metadata import version

        return (
            f"rapidocr {version('rapidocr')} models (PP-OCRv6 small det+rec), "
            f"onnxruntime {version('onnxruntime')}"
        )

    def load(self) -> None:
        """Create the sessions now."""
        self._engine()

    def _engine(self) -> PaddleOcr:
        if self._ocr is None:
            with self._lock:
                if self._ocr is None:
                    self._ocr = PaddleOcr(self._threads)
        return self._ocr

    def read_tile(self, tile: TextTile) -> list[TextBox]:
        """Text boxes found in one band, in the full image's coordinates."""
        width, height = tile.size
        out = []
        for line in self._engine().read(tile.pixels):
            text, score = line.text, line.score
            q = line.quad.copy()
            q[:, 1] += tile.y0
            q /= tile.scale
            x0, y0 = int(np.floor(q[:, 0].min())), int(np.floor(q[:, 1].min()))
            x1, y1 = int(np.ceil(q[:, 0].max())), int(np.ceil(q[:, 1].max()))
            box = Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0)).clip(width, height)
            if box is not None:
                out.append(TextBox(box, str(text), float(score), tile.source))
        return out

    def reread(self, image: Image.Image, tb: TextBox) -> TextBox:
        """A box the recogniser read with low confidence, read again on its own: enhanced (CLAHE and
        sharpened) and turned by 180 degrees, and by 90 and 270 when it stands upright (vertical
        text). Keeps the best reading; returns ``tb`` unchanged when none is better."""
        b = tb.box
        pad = max(2, min(b.w, b.h) // 4)
        crop = image.crop((max(0, b.x - pad), max(0, b.y - pad), b.right + pad, b.bottom + pad))
        sharp = enhanced(crop).convert("RGB")
        views: list[tuple[str, Image.Image]] = [("enhanced", sharp)]
        angles = (90, 270, 180) if b.h > 1.5 * b.w else (180,)
        for base_name, base in (("rotated", crop.convert("RGB")), ("enhanced rotated", sharp)):
            views += [(f"{base_name} {a}", base.rotate(a, expand=True)) for a in angles]
        if b.h > 1.5 * b.w:
            views = views[1:]  # an upright crop of vertical text reads as noise
        batch = [np.ascontiguousarray(np.asarray(_rec_size(v))[:, :, ::-1]) for _, v in views]
        # One batched recogniser call for all the views (the recogniser alone, no detector).
        readings = self._engine().recognise(batch)
        best = tb
        for (how, _), (text, score) in zip(views, readings, strict=True):
            if float(score) > best.confidence and sum(c.isalnum() for c in str(text)) >= 2:
                best = TextBox(b, str(text), float(score), tb.source, how)
        return best

    def detect(self, image: Image.Image) -> list[TextBox]:
        """All text boxes in ``image`` (bands read one after the other)."""
        out: list[TextBox] = []
        for tile in plan_tiles(image, self._policy):
            out.extend(self.read_tile(tile))
        return out
