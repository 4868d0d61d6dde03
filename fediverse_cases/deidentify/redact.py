"""Irreversible redaction: paint solid pixels over boxes (never blur), and crop.

Works in place on a numpy copy of the pixels. Imports numpy and Pillow only.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PIL import Image

from .model import Box, Refusal

FILL = 0  # solid black


def with_margin(box: Box, fraction: float, minimum: int = 2) -> Box:
    mx = max(minimum, round(box.w * fraction))
    my = max(minimum, round(box.h * fraction))
    return box.grow(mx, my)


def paint(image: Image.Image, boxes: Iterable[Box]) -> tuple[Image.Image, int]:
    """A new image with every box (clipped to the image) filled solid; returns it and the painted area."""
    arr = np.array(image, dtype=np.uint8)
    height, width = arr.shape[:2]
    mask = np.zeros((height, width), dtype=bool)
    for box in boxes:
        clipped = box.clip(width, height)
        if clipped is None:
            continue
        arr[clipped.y : clipped.bottom, clipped.x : clipped.right] = FILL
        mask[clipped.y : clipped.bottom, clipped.x : clipped.right] = True
    return Image.fromarray(arr, image.mode), int(mask.sum())


def crop(image: Image.Image, box: Box) -> tuple[Image.Image, Box]:
    """The image cut to ``box`` (clipped to the image); refuses a crop that misses the image."""
    clipped = box.clip(*image.size)
    if clipped is None:
        raise Refusal(
            f"the crop rectangle {box.x},{box.y},{box.w},{box.h} lies outside the {image.width}x{image.height} image"
        )
    return image.crop((clipped.x, clipped.y, clipped.right, clipped.bottom)), clipped
