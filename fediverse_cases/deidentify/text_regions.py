"""Burned-in text detection with RapidOCR (PP-OCR ONNX models shipped inside the `rapidocr` wheel,
run by onnxruntime), on a downscaled copy; boxes are mapped back to full size.

What the recogniser read is used for one decision only — is this an allow-listed clinical marker
such as "L", "AP" or "5 cm"? — and is then reduced to a length and a shape category. Imports numpy,
rapidocr and onnxruntime; never downloads anything (model paths are given explicitly).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .model import Box, DeidentifyPolicy
from .phi_text import scan_text


@dataclass(frozen=True, slots=True)
class TextBox:
    box: Box  # in the input image's coordinates
    text: str  # transient: never leaves the engine
    confidence: float


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


def decide(tb: TextBox, image_size: tuple[int, int], policy: DeidentifyPolicy) -> tuple[bool, str]:
    """(cover?, category) for one detected region under ``policy``."""
    if tb.confidence >= policy.text_allow_confidence and is_allowlisted(tb.text, policy.text_allowlist):
        return False, "allowlisted_marker"
    if tb.confidence < policy.text_min_confidence or not plausible_text(tb, image_size):
        return False, "not_text"
    return policy.cover_text, categorise(tb.text, tb.confidence, policy)


class TextDetector:
    def __init__(self, policy: DeidentifyPolicy, threads: int = 2) -> None:
        self._policy = policy
        self._threads = threads
        self._lock = threading.Lock()
        self._engine = None

    @staticmethod
    def version() -> str:
        from importlib.metadata import version

        return (
            f"rapidocr {version('rapidocr')} (PP-OCRv6 small det+rec), onnxruntime {version('onnxruntime')}"
        )

    def load(self) -> None:
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._engine is not None:
            return
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).parent / "models"
        det, rec = models / "PP-OCRv6_det_small.onnx", models / "PP-OCRv6_rec_small.onnx"
        if not det.is_file() or not rec.is_file():
            raise RuntimeError("the OCR models are missing from the rapidocr package")
        self._engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.text_score": 0.0,
                "Det.model_path": str(det),
                "Rec.model_path": str(rec),
                "EngineConfig.onnxruntime.intra_op_num_threads": self._threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def detect(self, image: Image.Image) -> list[TextBox]:
        width, height = image.size
        scale = min(1.0, self._policy.ocr_max_side / float(max(width, height)))
        small = (
            image
            if scale >= 1.0
            else image.resize(
                (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR
            )
        )
        arr = np.ascontiguousarray(np.asarray(small.convert("RGB"))[:, :, ::-1])  # RapidOCR wants BGR
        with self._lock:
            self._load_locked()
            assert self._engine is not None
            result = self._engine(arr, use_det=True, use_cls=False, use_rec=True, text_score=0.0)
        boxes = getattr(result, "boxes", None)
        if boxes is None or len(boxes) == 0:
            return []
        out = []
        for quad, text, score in zip(boxes, result.txts, result.scores, strict=True):
            q = np.asarray(quad, dtype=np.float32) / scale
            x0, y0 = int(np.floor(q[:, 0].min())), int(np.floor(q[:, 1].min()))
            x1, y1 = int(np.ceil(q[:, 0].max())), int(np.ceil(q[:, 1].max()))
            box = Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0)).clip(width, height)
            if box is not None:
                out.append(TextBox(box, str(text), float(score)))
        return out
