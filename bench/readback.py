"""Reading planted strings back from an output image with two independent OCR engines.

Used by bench/deidentify.py and by tests/deidentify: RapidOCR (its own pipeline and instance,
not the engine's) and Tesseract (Debian's tesseract-ocr, an unrelated LSTM engine). Each planted
string is read on a padded crop around its box, scaled so the text is 16-64 px tall, upright and
turned by 90, 180 and 270 degrees, so vertical and upside-down text counts too.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image


def norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def readable(planted: str, read: list[str]) -> bool:
    """Is the planted string, one of its identifying parts (a word of 4+ letters such as a name,
    a run of 4+ digits) or a close variant of it recoverable from what OCR read?"""
    target = norm(planted)
    joined = norm(" ".join(read))
    if target and target in joined:
        return True
    for digits in re.findall(r"\d{4,}", planted):
        if digits in re.sub(r"\D", "", " ".join(read)):
            return True
    for word in re.findall(r"[A-Za-z]{4,}", planted):
        if word.lower() in joined:
            return True
    return any(difflib.SequenceMatcher(None, target, norm(r)).ratio() >= 0.7 for r in read)


class Reader:
    """An independent OCR pass (its own RapidOCR instance, 2 threads) that tries hard to read one
    planted string: a padded crop around its box, scaled so the text is 16-64 px tall, read upright
    and turned by 90, 180 and 270 degrees. Much cheaper than reading the whole image."""

    TARGET_SHORT_SIDE = 96  # px, the crop's short side after scaling (text ~ 2/3 of it)

    def __init__(self) -> None:
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).parent / "models"
        self._engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.text_score": 0.0,
                "Global.max_side_len": 100_000,
                "Global.min_side_len": 1,
                "Det.limit_type": "max",
                "Det.limit_side_len": 100_000,
                "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
                "EngineConfig.onnxruntime.intra_op_num_threads": 2,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def _read(self, img: Image.Image) -> list[str]:
        arr = np.ascontiguousarray(np.asarray(img.convert("RGB"))[:, :, ::-1])
        result = self._engine(arr, use_det=True, use_cls=False, use_rec=True, text_score=0.0)
        if getattr(result, "boxes", None) is None:
            return []
        return [str(t) for t, score in zip(result.txts, result.scores, strict=True) if score >= 0.3]

    def read(self, image: Image.Image, box: tuple[int, int, int, int]) -> list[str]:
        x, y, w, h = box
        pad = max(8, int(0.3 * min(w, h)))
        crop = image.crop((max(0, x - pad), max(0, y - pad), x + w + pad, y + h + pad)).convert("RGB")
        out: list[str] = []
        for angle in (0, 90, 180, 270):
            view = crop.rotate(angle, expand=True) if angle else crop
            scale = self.TARGET_SHORT_SIDE / float(min(view.size))
            size = (max(1, round(view.width * scale)), max(1, round(view.height * scale)))
            view = view.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
            canvas = Image.new("RGB", (view.width + 64, view.height + 64), _border_colour(view))
            canvas.paste(view, (32, 32))
            out.extend(self._read(canvas))
        return out


def _border_colour(img: Image.Image) -> tuple[int, int, int]:
    arr = np.asarray(img)
    edge = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    return tuple(int(v) for v in np.median(edge, axis=0))


class TesseractReader(Reader):
    """The second, unrelated OCR engine (Tesseract LSTM, Debian's tesseract-ocr), same crops."""

    def __init__(self) -> None:
        self.available = shutil.which("tesseract") is not None

    def _read(self, img: Image.Image) -> list[str]:
        if not self.available:
            return []
        buf = io.BytesIO()
        img.convert("L").save(buf, "PNG")
        out = subprocess.run(
            ["tesseract", "stdin", "stdout", "--psm", "6", "-l", "eng"],
            input=buf.getvalue(),
            capture_output=True,
            check=False,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        return [line for line in out.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
