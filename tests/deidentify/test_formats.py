"""Every accepted format comes out as a clean JPEG/PNG: no metadata survives (checked with exiftool)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from fediverse_cases.deidentify import Box

from .conftest import corpus

_BAD_GROUPS = (
    "EXIF",
    "IFD0",
    "IFD1",
    "ExifIFD",
    "GPS",
    "XMP",
    "IPTC",
    "ICC",
    "Photoshop",
    "MakerNotes",
    "Trailer",
)


def assert_clean(meta: dict) -> None:
    bad = [k for k in meta if k.split(":")[0].startswith(_BAD_GROUPS)]
    assert not bad, f"metadata survived: {bad}"
    assert "ExifTool:Warning" not in meta
    png_text = [
        k
        for k in meta
        if k.startswith("PNG:")
        and k.split(":")[1]
        not in {"ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter", "Interlace"}
    ]
    assert not png_text, png_text
    assert corpus.SECRET not in json.dumps(meta)


@pytest.mark.parametrize("fmt", sorted(corpus.ENCODERS))
def test_format_accepted_and_every_metadata_block_removed(engine, exiftool, fmt: str) -> None:
    encoder, ext = corpus.ENCODERS[fmt]
    img = corpus.photo_background(320, 240, seed=3)
    data = encoder(img)
    assert corpus.SECRET.encode() in data or fmt == "heic"  # the planted values really are in the input
    assert any(k.startswith(("GPS", "EXIF", "IFD0", "XMP")) for k in exiftool(data))

    result = engine.process(data, filename=f"photo{ext}")

    assert result.accepted, result.reason
    clean = result.image
    for blob in (clean.data, clean.display, clean.thumbnail):
        assert corpus.SECRET.encode() not in blob
        assert_clean(exiftool(blob))
    assert (clean.width, clean.height) == (320, 240)
    assert "exif" in result.report.metadata_removed
    if fmt in ("jpeg", "png", "webp", "heic"):
        assert "xmp" in result.report.metadata_removed
    if fmt != "tiff":
        assert "exif_gps" in result.report.metadata_removed


def test_jpeg_report_lists_every_planted_category(engine) -> None:
    data = corpus.jpeg_with_everything(corpus.photo_background(200, 150, seed=1))
    removed = set(engine.process(data, filename="a.jpg").report.metadata_removed)
    assert {
        "exif_gps",
        "exif_makernote",
        "exif_serial_numbers",
        "xmp",
        "iptc",
        "comment",
        "icc_profile",
        "trailing_data",
        "exif_datetime",
    } <= removed


def test_png_text_chunks_removed(engine, exiftool) -> None:
    data = corpus.png_with_everything(corpus.photo_background(200, 150, seed=2))
    assert "PNG:Author" in exiftool(data)
    result = engine.process(data, filename="a.png")
    assert "png_text" in result.report.metadata_removed
    meta = exiftool(result.image.data)
    assert "PNG:Author" not in meta and "PNG:Comment" not in meta


def _marked(width: int = 300, height: int = 200) -> Image.Image:
    """Grey image with a pure red block in its top-left corner."""
    arr = np.full((height, width, 3), 128, np.uint8)
    arr[:40, :60] = (255, 0, 0)
    return Image.fromarray(arr)


@pytest.mark.parametrize(
    ("orientation", "transpose"),
    [
        (3, Image.Transpose.ROTATE_180),
        (6, Image.Transpose.ROTATE_90),  # stored rotated 90 ccw; viewer must turn it 90 cw
        (8, Image.Transpose.ROTATE_270),
    ],
)
def test_exif_orientation_applied_before_anything_else(engine, orientation, transpose) -> None:
    upright = _marked()
    stored = upright.transpose(transpose)
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=95, exif=corpus.exif_bytes(orientation, with_thumbnail=False))

    result = engine.process(buf.getvalue(), filename="x.jpg", regions=[])

    assert result.accepted, result.reason
    assert result.report.orientation_applied == orientation
    out = np.asarray(Image.open(io.BytesIO(result.image.data)).convert("RGB")).astype(int)
    assert out.shape[:2] == (200, 300)
    assert out[20, 30, 0] > 200 and out[20, 30, 1] < 60  # the red block is top-left again
    assert out[180, 280, 0] < 160


def test_png_alpha_is_flattened_so_hidden_pixels_cannot_leak(engine) -> None:
    arr = np.zeros((100, 100, 4), np.uint8)
    arr[..., :3] = 10  # dark "hidden" colour under full transparency
    buf = io.BytesIO()
    Image.fromarray(arr, "RGBA").save(buf, "PNG")
    result = engine.process(buf.getvalue(), filename="a.png")
    out = Image.open(io.BytesIO(result.image.data))
    assert out.mode in ("RGB", "L")
    assert np.asarray(out.convert("L")).min() > 240


def test_photo_becomes_jpeg_and_screenshot_becomes_png(engine) -> None:
    photo = engine.process(
        corpus.jpeg_with_everything(corpus.photo_background(400, 300, 5)), filename="p.jpg"
    )
    flat = Image.new("RGB", (400, 300), (240, 240, 240))
    flat.paste((30, 60, 200), (50, 50, 350, 120))
    buf = io.BytesIO()
    flat.save(buf, "PNG")
    shot = engine.process(buf.getvalue(), filename="s.png")
    assert (photo.image.media_type, photo.image.extension) == ("image/jpeg", ".jpg")
    assert (shot.image.media_type, shot.image.extension) == ("image/png", ".png")


def test_derivatives_sizes_and_blurhash(engine) -> None:
    img = corpus.photo_background(2600, 1300, 9)
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    clean = engine.process(buf.getvalue(), filename="big.jpg").image
    assert (clean.width, clean.height) == (2600, 1300)
    assert (clean.display_width, clean.display_height) == (2048, 1024)
    assert max(clean.thumbnail_width, clean.thumbnail_height) == 400
    assert Image.open(io.BytesIO(clean.display)).size == (2048, 1024)
    assert Image.open(io.BytesIO(clean.thumbnail)).size == (clean.thumbnail_width, clean.thumbnail_height)
    assert len(clean.blurhash) == 28 and clean.blurhash[0] == "L"  # 4x3 components


def test_twelve_megapixel_display_is_a_halving_of_the_redacted_image(engine) -> None:
    """A 4000x3000 photo's display copy is the redacted image halved (an integer reduction lands
    within 10 % of the 2048 px limit, a sixth of a filtered resize's cost): 2000x1500, the
    covered region black in it and in the thumbnail too."""
    img = corpus.photo_background(4000, 3000, 11)
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    result = engine.process(buf.getvalue(), filename="p.jpg", regions=[Box(0, 0, 2000, 3000)])
    clean = result.image
    assert (clean.width, clean.height) == (4000, 3000)
    assert (clean.display_width, clean.display_height) == (2000, 1500)
    assert (clean.thumbnail_width, clean.thumbnail_height) == (400, 300)
    for blob, half in ((clean.display, 1000), (clean.thumbnail, 200)):
        px = np.asarray(Image.open(io.BytesIO(blob)).convert("L"))
        assert px[:, : half - 4].max() < 16
        assert px[:, half + 4 :].mean() > 40
