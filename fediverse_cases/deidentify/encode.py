"""Re-encoding from pixels, derivatives, blurhash, and verification of every encoded output.

The output holds pixels and nothing else: each file is walked segment by segment (containers.py)
and re-parsed with Pillow; anything left over refuses the image. Imports Pillow and numpy.
"""

from __future__ import annotations

import io
import math
from concurrent.futures import Executor, Future

import numpy as np
from PIL import Image

from . import blurhash, containers
from .model import _SEAL, CleanImage, DeidentifyPolicy, Refusal

# ``resized`` uses a plain integer reduction when it gives at least this share of the maximum side.
REDUCE_CLOSE_ENOUGH = 0.9

_ALLOWED_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression"}


def choose_media_type(image: Image.Image) -> str:
    """PNG for flat images with few colours (screenshots, line art), JPEG for photographic content."""
    sample = image.resize(_fit(image.size, 256), Image.Resampling.NEAREST)  # invents no new colours
    pixels = np.asarray(sample, dtype=np.uint32)
    if pixels.ndim == 3:
        pixels = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    # np.unique: a few times faster than Image.getcolors on a photo's ~30 000 distinct colours.
    counts = np.sort(np.unique(pixels, return_counts=True)[1])[::-1]
    total = float(counts.sum())
    if len(counts) <= 64 or float(counts[:32].sum()) / total >= 0.85:
        return "image/png"
    return "image/jpeg"


def encode(image: Image.Image, media_type: str, policy: DeidentifyPolicy) -> bytes:
    buf = io.BytesIO()
    if media_type == "image/jpeg":
        image.save(buf, "JPEG", quality=policy.jpeg_quality, optimize=False, progressive=False)
    else:
        image.save(buf, "PNG", compress_level=6 if image.width * image.height < 4_000_000 else 3)
    return buf.getvalue()


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` scaled down (aspect kept) so that its longer side is at most ``max_side``."""
    width, height = size
    if max(width, height) <= max_side:
        return size
    scale = max_side / float(max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def resized(
    image: Image.Image, max_side: int, resample: Image.Resampling = Image.Resampling.LANCZOS
) -> Image.Image:
    """A new, smaller image (never a copy of a large one), or ``image`` itself when it fits."""
    longest = max(image.size)
    if longest <= max_side:
        return image
    factor = math.ceil(longest / max_side)
    if longest / factor >= REDUCE_CLOSE_ENOUGH * max_side:
        # An integer box reduction lands within 10 % of the target (a 4000 px photo to 2000 px
        # for a 2048 display): about a sixth of the cost of a filtered resize of 12 MP, which
        # sits on the serial path after redaction, and no worse for a 2x reduction.
        return image.reduce(factor)
    return image.resize(_fit(image.size, max_side), resample, reducing_gap=2.0)


def blurhash_of(image: Image.Image) -> str:
    small = image.convert("RGB")
    small.thumbnail((48, 48), Image.Resampling.BILINEAR)
    x, y = (4, 3) if small.width >= small.height else (3, 4)
    return blurhash.encode(small, x, y)


def verify(data: bytes, media_type: str, size: tuple[int, int], *, decode: bool) -> None:
    """Refuse unless ``data`` re-parses as ``media_type`` of ``size`` with no metadata at all."""
    problems = containers.leftovers(data, media_type)
    fmt = "JPEG" if media_type == "image/jpeg" else "PNG"
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            if img.size != size:
                problems.append(f"size {img.size} instead of {size}")
            extra = set(img.info) - _ALLOWED_INFO
            if extra:
                problems.append("metadata keys " + ", ".join(sorted(extra)))
            if img.getexif():
                problems.append("EXIF")
            if decode:
                img.load()
    except Exception as exc:
        problems.append(f"does not re-parse ({type(exc).__name__})")
    if problems:
        raise Refusal("verification of the cleaned image failed: " + "; ".join(problems))


def _encode_verified(image: Image.Image, media_type: str, policy: DeidentifyPolicy, *, decode: bool) -> bytes:
    data = encode(image, media_type, policy)
    verify(data, media_type, image.size, decode=decode)
    return data


def build_clean_image(
    image: Image.Image, policy: DeidentifyPolicy, pool: Executor | None = None
) -> CleanImage:
    """Encode the (already redacted) image and its derivatives, verify each, and seal the result.

    With ``pool``, the full-size file is encoded on a worker while this thread makes the display
    copy and thumbnail (Pillow releases the GIL while resizing and encoding)."""
    media_type = choose_media_type(image)
    full: Future[bytes] | None = None
    if pool is not None and max(image.size) > policy.display_max_side:
        full = pool.submit(_encode_verified, image, media_type, policy, decode=False)
    try:
        # Antialiased bilinear when the display reduction is not close to an integer factor (see
        # resized): a third of Lanczos' cost.
        display_img = resized(image, policy.display_max_side, Image.Resampling.BILINEAR)
        if display_img is image:
            data = _encode_verified(image, media_type, policy, decode=False)
            display = data
        else:
            display = _encode_verified(display_img, media_type, policy, decode=True)
        thumb_img = resized(display_img, policy.thumbnail_max_side)
        thumbnail = _encode_verified(thumb_img, media_type, policy, decode=True)
        hash_ = blurhash_of(thumb_img)
        if display_img is not image:
            data = (
                full.result()
                if full is not None
                else _encode_verified(image, media_type, policy, decode=False)
            )
    finally:
        if full is not None and not full.done():
            full.cancel()
    return CleanImage(
        data=data,
        media_type=media_type,
        extension=".jpg" if media_type == "image/jpeg" else ".png",
        width=image.width,
        height=image.height,
        display=display,
        display_width=display_img.width,
        display_height=display_img.height,
        thumbnail=thumbnail,
        thumbnail_width=thumb_img.width,
        thumbnail_height=thumb_img.height,
        blurhash=hash_,
        _seal=_SEAL,
    )
