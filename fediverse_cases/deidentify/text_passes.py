"""The renderings the text detector searches, one detection pass each.

A single pass over the image as shown misses text a human reader can still make out: grey-on-grey
labels a few grey levels off their background, blurred thermal print, and text that one window of
a 16-bit or palette input clips. So besides the original the detector may also see:

- ``local_contrast_sharpened``: CLAHE (contrast-limited local histogram equalisation) on the grey
  image, then a light denoise and an unsharp mask. Faint and blurred strokes become crisp edges.
- ``local_contrast_inverted``: each pixel's distance from its neighbourhood's mean in units of
  the neighbourhood's spread (local contrast normalisation), inverted. Small print only 15-25 grey
  levels lighter than a dark label is found by neither of the passes above (CLAHE's clip limit
  stops it stretching a near-flat patch enough, and the detector was trained mostly on dark print
  on light paper); here it becomes dark, full-contrast print. Computed on the downscaled detection
  copy (``Rendering.derive``), so it costs one detector pass and a few blurs of a ~1 MP image.
- ``window_*``: the extra renderings the decoder made of wide-range values (pixels.detection_windows).

Also owns the stroke test used to fail closed on label-like regions the recogniser cannot read.
Imports numpy, Pillow and OpenCV (already a dependency of the face detector).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .model import DeidentifyPolicy

PASS_ORIGINAL = "original"
PASS_ENHANCED = "local_contrast_sharpened"
PASS_INVERTED = "local_contrast_inverted"


@dataclass(frozen=True, slots=True)
class Rendering:
    """One image the text detector reads: same size and geometry as the image being redacted.
    ``derive``, if set, is applied to the downscaled detection copy of ``image`` (cheaper than
    on the full image, and the neighbourhoods it uses are then sized in detector pixels)."""

    name: str
    image: Image.Image
    derive: Callable[[Image.Image], Image.Image] | None = None


def is_greyscale(image: Image.Image) -> bool:
    """Mode "L", or colour whose channels agree almost everywhere (a photographed or exported
    radiograph, a grey printout saved as RGB)."""
    if image.mode == "L":
        return True
    # Sampled first, converted after: convert() of a full-size image copies every pixel (12 MP:
    # ~5 ms, more on a fresh allocation) on the serial path before detection starts.
    sample = image.resize((64, 64), Image.Resampling.NEAREST)
    small = np.asarray(sample.convert("RGB")).astype(np.int16)
    spread = small.max(axis=2) - small.min(axis=2)
    return float((spread > 12).mean()) < 0.02


def enhanced(image: Image.Image) -> Image.Image:
    """CLAHE on the grey image, then a light denoise and an unsharp mask (grey, same size)."""
    import cv2  # OpenCV: loaded with the detectors, not at package import (cold start)

    grey = np.asarray(image.convert("L"))
    # Tiles of ~1/8 of the image: a label block's background and strokes share one tile, so a
    # 15-grey-level difference is stretched to most of the range; the clip limit stops noise in
    # flat areas from being stretched as much.
    local = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(grey)
    smooth = cv2.GaussianBlur(local, (0, 0), 1.0)
    blurred = cv2.GaussianBlur(smooth, (0, 0), 3.0)
    sharp = cv2.addWeighted(smooth, 2.0, blurred, -1.0, 0)
    return Image.fromarray(sharp, "L")


def normalised_inverted(image: Image.Image) -> Image.Image:
    """Local contrast normalisation, inverted (grey, same size): (neighbourhood mean - pixel) over
    the neighbourhood's standard deviation, mapped around mid-grey."""
    import cv2  # loaded with the detectors, not at package import (cold start)

    grey = np.asarray(image.convert("L"), dtype=np.float32)
    # A neighbourhood of ~10 detector pixels: a character or two of label print, so a dark
    # label's own background sets the scale, not the bright bone next to it.
    mean = cv2.GaussianBlur(grey, (0, 0), 10.0)
    var = cv2.GaussianBlur((grey - mean) ** 2, (0, 0), 10.0)
    # The floor (3 grey levels) keeps sensor noise on flat areas from being stretched like print.
    z = (mean - grey) / np.sqrt(var + 9.0)
    return Image.fromarray(np.clip(128.0 + 50.0 * z, 0, 255).astype(np.uint8), "L")


def renderings(
    image: Image.Image, views: tuple[tuple[str, Image.Image], ...], policy: DeidentifyPolicy
) -> list[Rendering]:
    """The passes for ``image`` under ``policy.enhanced_text_pass`` and
    ``policy.inverted_text_pass`` (each "always", "greyscale" or "never") plus up to
    ``policy.max_window_passes`` of the decoder's extra windows."""
    out = [Rendering(PASS_ORIGINAL, image)]
    grey: bool | None = None

    def wanted(mode: str) -> bool:
        nonlocal grey
        if mode == "greyscale" and grey is None:
            grey = is_greyscale(image)
        return mode == "always" or (mode == "greyscale" and bool(grey))

    if wanted(policy.enhanced_text_pass):
        out.append(Rendering(PASS_ENHANCED, enhanced(image)))
    if wanted(policy.inverted_text_pass):
        out.append(Rendering(PASS_INVERTED, image, derive=normalised_inverted))
    for name, view in views[: policy.max_window_passes]:
        if view.size == image.size:
            out.append(Rendering(f"window_{name}", view))
    return out


def has_text_strokes(grey: np.ndarray) -> bool:
    """Does this patch look like print on a label: a flat background (most pixels close to the
    median) with a real share of pixels well off it (strokes)? Bone texture, noise and smooth
    gradients fail one of the two."""
    if grey.size < 64:
        return False
    g = grey.astype(np.float32)
    med = float(np.median(g))
    dev = np.abs(g - med)
    flat = float((dev <= 10).mean())
    # Noise of the flat part, so faint print on a clean label still counts as off the background.
    noise = float(np.std(g[dev <= 10])) if flat > 0 else 255.0
    off = float((dev >= max(8.0, 3.0 * noise)).mean())
    return flat >= 0.55 and 0.04 <= off <= 0.45
