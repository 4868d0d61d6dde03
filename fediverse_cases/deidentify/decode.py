"""Safe decoding: size caps, format sniffing, refusals, and an upright 8-bit pixel image.

Everything that comes out of here is pixels only (a new PIL image in mode "L" or "RGB"), plus the
list of metadata categories the input carried. Imports Pillow, pillow-heif and numpy; DICOM is
delegated to dicom.py, shared pixel helpers live in pixels.py.
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
from PIL import Image, ImageOps

from . import containers, dicom
from .model import DeidentifyPolicy, Refusal
from .pixels import DecodedImage, check_pixels, detection_windows, scale_to_uint8

ACCEPTED = "JPEG, PNG, WebP, TIFF, HEIC or DICOM"

_MEDIA_TYPES: dict[str, set[str]] = {
    "jpeg": {"image/jpeg", "image/jpg", "image/pjpeg"},
    "png": {"image/png"},
    "webp": {"image/webp"},
    "tiff": {"image/tiff", "image/tif"},
    "heic": {"image/heic", "image/heif"},
    "dicom": {"application/dicom"},
}
_EXTENSIONS: dict[str, set[str]] = {
    "jpeg": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "png": {".png"},
    "webp": {".webp"},
    "tiff": {".tif", ".tiff"},
    "heic": {".heic", ".heif", ".hif"},
    "dicom": {".dcm", ".dicom", ".dic"},
}
_GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def sniff(data: bytes) -> str:
    """The format the bytes really are, or a Refusal naming what they are instead."""
    head = data[:512]
    if len(data) >= 132 and data[128:132] == b"DICM":  # first: a DICOM preamble may mimic TIFF
        return "dicom"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(containers.PNG_SIGNATURE):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\0", b"MM\0*"):
        return "tiff"
    if head[4:8] == b"ftyp":
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        if head[8:12] in (b"avif", b"avis"):
            raise Refusal("AVIF images are not accepted; convert to JPEG or PNG")
        if brands & _HEIF_BRANDS:
            return "heic"
        raise Refusal("this ISO media file is not a HEIC image (video files are not accepted)")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"%pdf") or b"%pdf-" in head[:1024]:
        raise Refusal("PDF documents are not accepted; export the image as JPEG or PNG")
    if stripped.startswith(b"<svg") or (stripped.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        raise Refusal("SVG vector images are not accepted (they can carry text and scripts); export a PNG")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        raise Refusal("GIF images are not accepted; convert to PNG")
    if head[:4] in (b"II+\0", b"MM\0+"):
        raise Refusal("BigTIFF files are not accepted")
    if head[:2] == b"BM":
        raise Refusal("BMP images are not accepted; convert to PNG")
    raise Refusal(f"unrecognised file format (accepted: {ACCEPTED})")


def check_declared(fmt: str, filename: str | None, declared_type: str | None) -> None:
    label = fmt.upper() if fmt != "dicom" else "DICOM"
    if declared_type is not None:
        declared = declared_type.split(";")[0].strip().lower()
        if declared not in _GENERIC_TYPES and declared not in _MEDIA_TYPES[fmt]:
            raise Refusal(f"declared type {declared} does not match the file's content ({label})")
    if filename:
        ext = os.path.splitext(filename)[1].lower()
        if ext and ext not in _EXTENSIONS[fmt] and not (fmt == "dicom" and not ext[1:].isalpha()):
            raise Refusal(f"file name extension {ext} does not match the file's content ({label})")


def decode(
    data: bytes, policy: DeidentifyPolicy, filename: str | None, declared_type: str | None
) -> DecodedImage:
    if not data:
        raise Refusal("the file is empty")
    if len(data) > policy.max_bytes:
        raise Refusal(f"the file is {len(data)} bytes; the limit is {policy.max_bytes} bytes")
    fmt = sniff(data)
    check_declared(fmt, filename, declared_type)
    if fmt == "dicom":
        return dicom.decode_dicom(data, policy)
    if fmt == "heic":
        return _decode_heic(data, policy)
    return _decode_pillow(data, fmt, policy)


_PIL_FORMAT = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "tiff": "TIFF"}


def _decode_pillow(data: bytes, fmt: str, policy: DeidentifyPolicy) -> DecodedImage:
    found: set[str] = set()
    try:
        if fmt == "jpeg":
            layout = containers.walk_jpeg(data)
            found |= containers.jpeg_categories(layout)
        elif fmt == "png":
            layout = containers.walk_png(data)
            found |= containers.png_categories(layout)
        elif fmt == "webp":
            layout = containers.walk_webp(data)
            found |= containers.webp_categories(layout)
        else:
            layout = None
    except containers.ContainerError as exc:
        raise Refusal(f"the {fmt.upper()} file is truncated or corrupt: {exc}") from None
    if layout is not None and layout.trailing(len(data)):
        found.add("trailing_data")
    if "animation" in found:
        raise Refusal("animated images are not accepted; upload a single still frame")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[fmt]])
        except Exception as exc:
            raise Refusal(f"the {fmt.upper()} file cannot be decoded ({type(exc).__name__})") from None
        check_pixels(img.width, img.height, policy)
        if getattr(img, "n_frames", 1) > 1:
            kind = "multi-page TIFF files" if fmt == "tiff" else "animated images"
            raise Refusal(f"{kind} are not accepted; upload a single still image")
        try:
            img.load()
        except Exception as exc:
            raise Refusal(f"the {fmt.upper()} file is truncated or corrupt ({type(exc).__name__})") from None
    found |= _info_categories(img)
    if fmt == "tiff":
        found |= _tiff_categories(img)
    exif = img.getexif()
    found |= exif_categories(exif)
    orientation = exif.get(0x0112)
    try:
        # Already upright: exif_transpose would copy all the pixels (12 MP: ~20 ms), and
        # to_pixels below makes the one fresh copy that leaves the source object behind.
        upright = img if orientation in (None, 1) else ImageOps.exif_transpose(img)
    except Exception:
        raise Refusal("the image's orientation tag is corrupt") from None
    return DecodedImage(
        image=to_pixels(upright),
        source_format=fmt,
        metadata_found=frozenset(found),
        orientation=int(orientation) if isinstance(orientation, int) else None,
        detection_views=wide_range_views(upright),
    )


def _decode_heic(data: bytes, policy: DeidentifyPolicy) -> DecodedImage:
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
    except Exception as exc:
        raise Refusal(f"the HEIC file cannot be decoded ({type(exc).__name__})") from None
    if len(heif) > 1:
        raise Refusal("HEIC files holding several images (bursts, sequences) are not accepted")
    check_pixels(heif.size[0], heif.size[1], policy)
    found: set[str] = set()
    info = heif.info
    for key, name in (("exif", "exif"), ("xmp", "xmp"), ("icc_profile", "icc_profile")):
        if info.get(key):
            found.add(name)
    if info.get("thumbnails") or any(getattr(im, "info", {}).get("thumbnails") for im in heif):
        found.add("thumbnail")
    if info.get("depth_images"):
        found.add("depth_image")
    if info.get("metadata"):
        found.add("heif_metadata")
    try:
        img = heif.to_pillow()
        img.load()
    except Exception as exc:
        raise Refusal(f"the HEIC file is truncated or corrupt ({type(exc).__name__})") from None
    exif = img.getexif()
    found |= exif_categories(exif)
    # libheif already applied the container's rotation (irot/imir); pillow-heif resets the EXIF
    # orientation to 1 so that exif_transpose below is a no-op unless it is still set.
    orientation = exif.get(0x0112)
    upright = ImageOps.exif_transpose(img)
    return DecodedImage(
        image=to_pixels(upright),
        source_format="heic",
        metadata_found=frozenset(found),
        orientation=int(orientation) if isinstance(orientation, int) else None,
    )


def exif_categories(exif: Image.Exif) -> set[str]:
    if not exif:
        return set()
    found = {"exif"}
    try:
        if exif.get_ifd(0x8825):
            found.add("exif_gps")
        sub = exif.get_ifd(0x8769)
    except Exception:
        sub = {}
    if 0x927C in sub:
        found.add("exif_makernote")
    if {0xA431, 0xA435} & set(sub) or 0xC62F in exif:
        found.add("exif_serial_numbers")
    if {0x0132} & set(exif) or {0x9003, 0x9004} & set(sub):
        found.add("exif_datetime")
    if {0x010F, 0x0110} & set(exif):
        found.add("exif_camera")
    if {0x010E, 0x013B, 0x8298} & set(exif) or 0x9286 in sub:
        found.add("exif_text")
    return found


def _info_categories(img: Image.Image) -> set[str]:
    found: set[str] = set()
    info = img.info
    if info.get("icc_profile"):
        found.add("icc_profile")
    if info.get("comment"):
        found.add("comment")
    if info.get("xmp") or info.get("XML:com.adobe.xmp"):
        found.add("xmp")
    if getattr(img, "text", None):
        found.add("png_text")
    return found


_TIFF_TAGS = {
    270: "tiff_description",
    271: "exif_camera",
    272: "exif_camera",
    305: "software",
    306: "exif_datetime",
    315: "tiff_artist",
    33432: "tiff_copyright",
    700: "xmp",
    33723: "iptc",
    34377: "photoshop",
    34675: "icc_profile",
    37724: "photoshop",
}


def _tiff_categories(img: Image.Image) -> set[str]:
    tags = getattr(img, "tag_v2", {})
    return {name for tag, name in _TIFF_TAGS.items() if tag in tags}


def wide_range_views(img: Image.Image) -> tuple[tuple[str, Image.Image], ...]:
    """Extra detection renderings for 16-bit, 32-bit and float images (see pixels.detection_windows)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return detection_windows(np.asarray(img, dtype=np.float32))
    return ()


def to_pixels(img: Image.Image) -> Image.Image:
    """A brand-new 8-bit "L" or "RGB" image holding only the pixel values (alpha flattened on white)."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        return Image.fromarray(scale_to_uint8(arr), "L")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(base, rgba).convert("RGB")
    elif mode == "1":
        img = img.convert("L")
    elif mode not in ("L", "RGB"):
        img = img.convert("RGB")
    # A new image and one copy of the pixels in C (a numpy round trip copies 12 MP twice):
    # nothing of the source object (info, EXIF, palette) survives.
    out = Image.new(img.mode, img.size)
    out.paste(img, (0, 0))
    return out
