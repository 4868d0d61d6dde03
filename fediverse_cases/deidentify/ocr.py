"""PP-OCR text detection and recognition run directly on onnxruntime.

The models are the PP-OCRv6 small detector and recogniser shipped inside the `rapidocr` wheel;
the steps are RapidOCR 3.10's (DB post-processing, perspective crops, CTC decoding, with the
parameters the engine used through RapidOCR: no angle classifier, no score filter, input sized by
the caller). Importing RapidOCR's own pipeline costs about 0.7 s per process (it parses its model
catalogue with OmegaConf at import) and spends time per call re-applying its configuration; a
cold `fediverse-cases deidentify` call cannot afford either (issue 17: <= 3 s). The rapidocr
package is still what ships the model files (and what the bench's independent reader uses).

One ``PaddleOcr`` is shared by all worker threads: an onnxruntime session may run from several
threads at once, each run on its caller's thread (one intra-op thread per session, so concurrent
bands and the face detector share the cores without oversubscribing them). Imports numpy, OpenCV,
pyclipper and onnxruntime.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pyclipper

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"

# RapidOCR's defaults for these models (its config.yaml).
DET_THRESH = 0.3
DET_BOX_THRESH = 0.5
DET_MAX_CANDIDATES = 1000
DET_UNCLIP_RATIO = 1.6
DET_MIN_SIZE = 3
REC_HEIGHT = 48
REC_WIDTH = 320
REC_BATCH = 6
# Thin inputs are padded top and bottom before detection (RapidOCR's "vertical padding").
PAD_MIN_HEIGHT = 30
PAD_WIDTH_HEIGHT_RATIO = 8
SORT_Y_THRESHOLD = 10


@dataclass(frozen=True, slots=True)
class OcrLine:
    quad: np.ndarray  # 4x2 float32, clockwise from top-left, in the input's pixels
    text: str
    score: float


def models_dir() -> Path:
    """Where the rapidocr wheel keeps its models (found without importing rapidocr)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the rapidocr package (which ships the OCR models) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def session_options(threads: int) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Building a session with every graph optimisation takes well under 0.1 s for these models, so
    # a cached pre-optimised model file would save nothing worth its invalidation problems.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # The memory arena keeps the detector's buffers between calls: about 10 % less CPU per band
    # (RapidOCR turns it off to save memory; a process holds one pair of sessions).
    opts.enable_cpu_mem_arena = True
    return opts


class PaddleOcr:
    """Detector + recogniser sessions; ``read`` finds and reads lines, ``recognise`` reads crops."""

    def __init__(self, threads: int = 1) -> None:
        models = models_dir()
        det, rec = models / DET_MODEL, models / REC_MODEL
        if not det.is_file() or not rec.is_file():
            raise RuntimeError("the OCR models are missing from the rapidocr package")
        providers = ["CPUExecutionProvider"]
        self._det = ort.InferenceSession(str(det), session_options(threads), providers=providers)
        self._rec = ort.InferenceSession(str(rec), session_options(threads), providers=providers)
        self._det_input = self._det.get_inputs()[0].name
        self._rec_input = self._rec.get_inputs()[0].name
        meta = self._rec.get_modelmeta().custom_metadata_map
        self._chars = ["blank", *meta["character"].splitlines(), " "]

    # --- detection -------------------------------------------------------------------------------

    def read(self, bgr: np.ndarray) -> list[OcrLine]:
        """Every text line in ``bgr`` (uint8, HxWx3) with its reading; lines read as blank dropped."""
        height, width = bgr.shape[:2]
        pad = 0
        if height <= PAD_MIN_HEIGHT or width / height > PAD_WIDTH_HEIGHT_RATIO:
            new_h = max(int(width / PAD_WIDTH_HEIGHT_RATIO), PAD_MIN_HEIGHT) * 2
            pad = int(abs(new_h - height) / 2)
            bgr = cv2.copyMakeBorder(bgr, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        quads = self._detect(bgr)
        if not quads:
            return []
        readings = self.recognise([_rotate_crop(bgr, q.copy()) for q in quads])
        out = []
        for quad, (text, score) in zip(quads, readings, strict=True):
            if not text.strip():
                continue
            q = quad.copy()
            q[:, 1] -= pad
            q = np.maximum(q, 0)
            q[:, 0] = np.minimum(q[:, 0], width)
            q[:, 1] = np.minimum(q[:, 1], height)
            out.append(OcrLine(q, text, score))
        return out

    def _detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        height, width = bgr.shape[:2]
        rh, rw = round(height / 32) * 32, round(width / 32) * 32
        if rh <= 0 or rw <= 0:
            return []
        x = cv2.resize(bgr, (rw, rh)).astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
        x = np.ascontiguousarray(x.transpose(2, 0, 1)[np.newaxis])
        pred = self._det.run(None, {self._det_input: x})[0][0, 0]
        mask = cv2.dilate((pred > DET_THRESH).astype(np.uint8), np.ones((2, 2), np.uint8))
        quads = _boxes_from_bitmap(pred, mask, width, height)
        return _sorted_quads(quads)

    # --- recognition -----------------------------------------------------------------------------

    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """(text, score) for each BGR crop of one line, in order (batched by aspect ratio)."""
        if not crops:
            return []
        ratios = [c.shape[1] / float(c.shape[0]) for c in crops]
        order = np.argsort(np.array(ratios))
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for start in range(0, len(crops), REC_BATCH):
            idx = order[start : start + REC_BATCH]
            max_ratio = max(REC_WIDTH / REC_HEIGHT, *(ratios[i] for i in idx))
            batch = np.stack([_rec_input(crops[i], max_ratio) for i in idx])
            preds = self._rec.run(None, {self._rec_input: batch})[0]
            for i, reading in zip(idx, self._ctc_decode(preds), strict=True):
                out[i] = reading
        return out

    def _ctc_decode(self, preds: np.ndarray) -> list[tuple[str, float]]:
        best = preds.argmax(axis=2)
        prob = preds.max(axis=2)
        out = []
        for tokens, probs in zip(best, prob, strict=True):
            keep = np.ones(len(tokens), dtype=bool)
            keep[1:] = tokens[1:] != tokens[:-1]
            keep &= tokens != 0
            confs = [round(float(c), 5) for c in probs[keep]] or [0.0]
            text = "".join(self._chars[t] for t in tokens[keep])
            out.append((text, round(float(np.mean(confs)), 5)))
        return out


def _rec_input(crop: np.ndarray, max_ratio: float) -> np.ndarray:
    width = int(REC_HEIGHT * max_ratio)
    h, w = crop.shape[:2]
    resized_w = min(width, math.ceil(REC_HEIGHT * w / float(h)))
    resized = cv2.resize(crop, (resized_w, REC_HEIGHT)).astype(np.float32)
    out = np.zeros((3, REC_HEIGHT, width), dtype=np.float32)
    out[:, :, :resized_w] = resized.transpose(2, 0, 1) * np.float32(2.0 / 255.0) - np.float32(1.0)
    return out


def _rotate_crop(img: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The quadrilateral ``points`` warped to an upright rectangle; tall results turned 90 degrees."""
    crop_w = int(max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3])))
    crop_h = int(max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2])))
    target = np.array([[0, 0], [crop_w, 0], [crop_w, crop_h], [0, crop_h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(points, target)
    dst = cv2.warpPerspective(
        img, matrix, (crop_w, crop_h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    if dst.shape[0] * 1.0 / dst.shape[1] >= 1.5:
        dst = np.rot90(dst)
    return dst


def _mini_box(contour: np.ndarray) -> tuple[np.ndarray, float]:
    rect = cv2.minAreaRect(contour)
    points = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
    i1, i4 = (0, 1) if points[1][1] > points[0][1] else (1, 0)
    i2, i3 = (2, 3) if points[3][1] > points[2][1] else (3, 2)
    return np.array([points[i1], points[i2], points[i3], points[i4]], dtype=np.float32), min(rect[1])


def _box_score(pred: np.ndarray, box: np.ndarray) -> float:
    h, w = pred.shape
    xmin = int(np.clip(np.floor(box[:, 0].min()), 0, w - 1))
    xmax = int(np.clip(np.ceil(box[:, 0].max()), 0, w - 1))
    ymin = int(np.clip(np.floor(box[:, 1].min()), 0, h - 1))
    ymax = int(np.clip(np.ceil(box[:, 1].max()), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = box - np.array([xmin, ymin], dtype=np.float32)
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2).astype(np.int32), 1)
    return cv2.mean(pred[ymin : ymax + 1, xmin : xmax + 1], mask)[0]


def _unclip(box: np.ndarray) -> np.ndarray:
    """The box grown outwards by area * ratio / perimeter (the DB text kernel to the full line)."""
    area = abs(cv2.contourArea(box))
    length = cv2.arcLength(box.reshape(-1, 1, 2), True)
    distance = area * DET_UNCLIP_RATIO / length if length else 0.0
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return np.array(offset.Execute(distance)).reshape((-1, 1, 2))


def _boxes_from_bitmap(pred: np.ndarray, bitmap: np.ndarray, dest_w: int, dest_h: int) -> list[np.ndarray]:
    height, width = bitmap.shape
    contours, _ = cv2.findContours(bitmap * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for contour in contours[:DET_MAX_CANDIDATES]:
        points, short = _mini_box(contour)
        if short < DET_MIN_SIZE:
            continue
        if _box_score(pred, points) < DET_BOX_THRESH:
            continue
        expanded = _unclip(points)
        if expanded.size == 0:
            continue
        box, short = _mini_box(expanded.astype(np.float32))
        if short < DET_MIN_SIZE + 2:
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / width * dest_w), 0, dest_w)
        box[:, 1] = np.clip(np.round(box[:, 1] / height * dest_h), 0, dest_h)
        quad = _clockwise(box.astype(np.int32).astype(np.float32))
        quad[:, 0] = np.clip(quad[:, 0], 0, dest_w - 1).astype(np.int32)
        quad[:, 1] = np.clip(quad[:, 1], 0, dest_h - 1).astype(np.int32)
        if int(np.linalg.norm(quad[0] - quad[1])) <= 3 or int(np.linalg.norm(quad[0] - quad[3])) <= 3:
            continue
        out.append(quad)
    return out


def _clockwise(pts: np.ndarray) -> np.ndarray:
    xs = pts[np.argsort(pts[:, 0]), :]
    left, right = xs[:2], xs[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def _sorted_quads(quads: list[np.ndarray]) -> list[np.ndarray]:
    """Top to bottom, then left to right within a line (RapidOCR's reading order)."""
    if not quads:
        return quads
    arr = np.array(quads)
    y_order = np.argsort(arr[:, 0, 1], kind="stable")
    arr = arr[y_order]
    line_ids = np.concatenate([[0], np.cumsum(np.diff(arr[:, 0, 1]) >= SORT_Y_THRESHOLD)])
    return list(arr[np.lexsort((arr[:, 0, 0], line_ids))])
