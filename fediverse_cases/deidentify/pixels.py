"""Pixel helpers shared by the decoders (decode.py, dicom.py): the decoded-image value type, the
pixel-count cap, and the mapping of wide-range values (16-bit, float, palette indices) to 8 bits,
both for the output and as extra renderings that only the text detector sees.

Imports numpy and Pillow only; knows nothing of file formats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .model import DeidentifyPolicy, Refusal
from .report import DicomSummary


@dataclass(frozen=True, slots=True)
class DecodedImage:
    image: Image.Image  # mode "L" or "RGB", upright, fully loaded
    source_format: str
    metadata_found: frozenset[str]
    orientation: int | None = None
    dicom: DicomSummary | None = None
    wants_text_detection: bool = True
    # Extra 8-bit renderings of the same pixels (same size, mode "L"), searched for text besides
    # ``image``: one linear window of a 16-bit or palette input can hide text that another shows.
    # Never encoded or shared.
    detection_views: tuple[tuple[str, Image.Image], ...] = ()


def check_pixels(width: int, height: int, policy: DeidentifyPolicy) -> None:
    if width <= 0 or height <= 0:
        raise Refusal("the image has no pixels")
    if width * height > policy.max_pixels:
        raise Refusal(
            f"the image is {width}x{height} = {width * height} pixels; the limit is {policy.max_pixels}"
        )


def scale_to_uint8(arr: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    if lo is None or hi is None:
        lo, hi = (float(v) for v in np.percentile(arr, (0.5, 99.5)))
    if hi <= lo:
        hi = lo + 1.0
    out = (arr.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(out, 0, 255).astype(np.uint8)


def detection_windows(values: np.ndarray) -> tuple[tuple[str, Image.Image], ...]:
    """Several 8-bit renderings of a single-channel wide-range array, for text detection only.

    Burned-in text is usually drawn at the extreme of the stored range (or at one palette index),
    where a percentile window clips it together with bone or background. So besides the output
    window the detector also sees, most useful first (the engine runs the first
    ``policy.max_window_passes``): the top 1 % of the range stretched (text at the maximum over
    bright bone), a rank equalisation (every distinct level, e.g. a palette index, its own grey),
    the bottom 1 % (text at the minimum over air), and the full range.
    """
    arr = values.astype(np.float32, copy=False)
    vmin, vmax = float(arr.min()), float(arr.max())
    if vmax <= vmin:
        return ()
    # Percentiles of the values strictly inside the range: text drawn at the extreme may itself be
    # more than 1 % of the pixels and would otherwise pull the percentile onto the extreme.
    inner = arr[(arr > vmin) & (arr < vmax)]
    p1, p99 = (float(v) for v in np.percentile(inner, (1.0, 99.0))) if inner.size else (vmin, vmax)
    views = [("top_range", scale_to_uint8(arr, p99, vmax)), ("equalised", equalise(arr))]
    if p1 > vmin:
        views.append(("bottom_range", 255 - scale_to_uint8(arr, vmin, p1)))
    views.append(("full_range", scale_to_uint8(arr, vmin, vmax)))
    return tuple((name, Image.fromarray(np.ascontiguousarray(v), "L")) for name, v in views)


def equalise(arr: np.ndarray) -> np.ndarray:
    """Rank (histogram) equalisation of any numeric array to uint8."""
    levels, inverse = np.unique(arr.ravel(), return_inverse=True)
    if len(levels) <= 1:
        return np.zeros(arr.shape, dtype=np.uint8)
    counts = np.bincount(inverse, minlength=len(levels)).astype(np.float64)
    cdf = np.cumsum(counts)
    cdf = (cdf - cdf[0]) / max(1.0, cdf[-1] - cdf[0])
    return (cdf[inverse] * 255.0).astype(np.uint8).reshape(arr.shape)
