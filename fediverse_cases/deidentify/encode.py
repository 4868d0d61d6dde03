"""Re-encoding from pixels, derivatives, blurhash, and verification of every encoded output.

The output holds pixels and nothing else: each file is walked segment by segment (containers.py)
and re-parsed with Pillow; anything left over refuses the image. Imports Pillow and numpy.
"""

from __future__ import annotations

import io

from PIL import Image

from . import blurhash, containers
from .model import _SEAL, CleanImage, DeidentifyPolicy, Refusal

_ALLOWED_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression"}


def choose_media_type(image: Image.Image) -> str:
    """PNG for flat images with few colours (screenshots, line art), JPEG for photographic content."""
    sample = image.copy()
    sample.thumbnail((256, 256), Image.Resampling.NEAREST)  # NEAREST invents no new colours
    colours = sample.getcolors(maxcolors=sample.width * sample.height)
    if colours is None:
        return "image/jpeg"
    counts = sorted((c for c, _ in colours), reverse=True)
    total = float(sum(counts))
    if len(counts) <= 64 or sum(counts[:32]) / total >= 0.85:
        return "image/png"
    return "image/jpeg"


def encode(image: Image.Image, media_type: str, policy: DeidentifyPolicy) -> bytes:
    buf = io.BytesIO()
    if media_type == "image/jpeg":
        image.save(buf, "JPEG", quality=policy.jpeg_quality, optimize=False, progressive=False)
    else:
        image.save(buf, "PNG", compress_level=6 if image.width * image.height < 4_000_000 else 3)
    return buf.getvalue()


def resized(image: Image.Image, max_side: int) -> Image.Image:
    if max(image.size) <= max_side:
        return image
    out = image.copy()
    out.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return out


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


def build_clean_image(image: Image.Image, policy: DeidentifyPolicy) -> CleanImage:
    """Encode the (already redacted) image and its derivatives, verify each, and seal the result."""
    media_type = choose_media_type(image)
    data = encode(image, media_type, policy)
    verify(data, media_type, image.size, decode=False)
    display_img = resized(image, policy.display_max_side)
    display = data if display_img is image else encode(display_img, media_type, policy)
    if display is not data:
        verify(display, media_type, display_img.size, decode=True)
    thumb_img = resized(display_img, policy.thumbnail_max_side)
    thumbnail = encode(thumb_img, media_type, policy)
    verify(thumbnail, media_type, thumb_img.size, decode=True)
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
        blurhash=blurhash_of(thumb_img),
        _seal=_SEAL,
    )
