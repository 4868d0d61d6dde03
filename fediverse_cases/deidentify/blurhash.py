"""BlurHash encoder (https://blurha.sh algorithm) in numpy, so no extra dependency is needed."""

from __future__ import annotations

import numpy as np
from PIL import Image

_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def _b83(value: int, length: int) -> str:
    return "".join(_BASE83[(value // 83 ** (length - i - 1)) % 83] for i in range(length))


def _to_linear(channel: np.ndarray) -> np.ndarray:
    v = channel / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _to_srgb(value: float) -> int:
    v = min(1.0, max(0.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def encode(image: Image.Image, x_components: int = 4, y_components: int = 3) -> str:
    """BlurHash of ``image`` (any size; a 32-64 px copy is plenty)."""
    rgb = _to_linear(np.asarray(image.convert("RGB"), dtype=np.float64))
    height, width = rgb.shape[:2]
    xs, ys = np.arange(width), np.arange(height)
    factors = []
    for j in range(y_components):
        for i in range(x_components):
            basis = np.outer(np.cos(np.pi * j * ys / height), np.cos(np.pi * i * xs / width))
            norm = 1.0 if i == 0 and j == 0 else 2.0
            factors.append(norm * (rgb * basis[..., None]).sum(axis=(0, 1)) / (width * height))
    dc, ac = factors[0], factors[1:]
    out = _b83((x_components - 1) + (y_components - 1) * 9, 1)
    if ac:
        actual_max = max(float(np.abs(f).max()) for f in ac)
        quantised = int(max(0, min(82, int(actual_max * 166 - 0.5))))
        max_value = (quantised + 1) / 166.0
        out += _b83(quantised, 1)
    else:
        max_value = 1.0
        out += _b83(0, 1)
    out += _b83((_to_srgb(dc[0]) << 16) + (_to_srgb(dc[1]) << 8) + _to_srgb(dc[2]), 4)
    for f in ac:
        q = [int(max(0, min(18, int(np.sign(v) * abs(v / max_value) ** 0.5 * 9 + 9.5)))) for v in f]
        out += _b83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2)
    return out
