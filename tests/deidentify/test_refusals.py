"""Every refusal reason: the engine never raises on bad input and says precisely why."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fediverse_cases.deidentify import Box, Deidentifier, DeidentifyPolicy

from .conftest import corpus


def _jpeg(w: int = 64, h: int = 48) -> bytes:
    buf = io.BytesIO()
    corpus.photo_background(w, h, 1).save(buf, "JPEG")
    return buf.getvalue()


def _png(w: int = 64, h: int = 48) -> bytes:
    buf = io.BytesIO()
    corpus.photo_background(w, h, 1).save(buf, "PNG")
    return buf.getvalue()


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 255, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def _multipage_tiff() -> bytes:
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 255, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


CASES = [
    ("empty", b"", None, None, "empty"),
    (
        "svg",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>John</text></svg>',
        "a.svg",
        None,
        "SVG",
    ),
    ("svg_bare", b"<svg><text>MRN 1</text></svg>", None, None, "SVG"),
    ("pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF", "a.pdf", None, "PDF"),
    ("gif", b"GIF89a" + b"\0" * 40, "a.gif", None, "GIF"),
    ("text", b"hello, this is not an image", "a.jpg", None, "unrecognised"),
    ("animated_webp", _animated("WEBP"), "a.webp", None, "animated"),
    ("animated_png", _animated("PNG"), "a.png", None, "animated"),
    ("multipage_tiff", _multipage_tiff(), "a.tif", None, "multi-page"),
    ("truncated_jpeg", _jpeg()[:-200], "a.jpg", None, "truncated"),
    ("truncated_png", _png()[:-60], "a.png", None, "truncated"),
    ("corrupt_jpeg", _jpeg()[:200] + b"\x00" * 50 + _jpeg()[250:], "a.jpg", None, "JPEG"),
    ("declared_type_mismatch", _png(), None, "image/jpeg", "declared type image/jpeg does not match"),
    ("extension_mismatch", _png(), "scan.jpg", None, "extension .jpg does not match"),
    ("dicom_without_pixels", corpus.dicom_file("reportsi.dcm"), "r.dcm", None, "no pixel data"),
    ("dicom_truncated", corpus.dicom_file("MR_truncated.dcm"), "t.dcm", None, "DICOM"),
]


@pytest.mark.parametrize(("name", "data", "filename", "declared", "needle"), CASES, ids=[c[0] for c in CASES])
def test_refused_with_reason(engine, name, data, filename, declared, needle) -> None:
    result = engine.process(data, filename=filename, declared_type=declared)
    assert not result.accepted
    assert result.image is None
    assert needle in result.reason
    assert result.report.decision == "refused" and result.report.reason == result.reason
    assert result.report.to_json()["reason"] == result.reason


def test_byte_cap_checked_before_decoding() -> None:
    small = Deidentifier(DeidentifyPolicy(max_bytes=1000))
    result = small.process(_jpeg(400, 300), filename="a.jpg")
    assert not result.accepted and "limit is 1000 bytes" in result.reason


def test_pixel_cap_refuses_decompression_bomb_without_decoding() -> None:
    buf = io.BytesIO()
    Image.new("L", (6000, 6000)).save(buf, "PNG")  # 36 MP of zeros compresses to ~35 kB
    data = buf.getvalue()
    assert len(data) < 100_000
    result = Deidentifier(DeidentifyPolicy(max_pixels=20_000_000)).process(data, filename="bomb.png")
    assert not result.accepted and "6000x6000" in result.reason and "limit is 20000000" in result.reason


def test_matching_declared_type_and_generic_type_accepted(engine) -> None:
    assert engine.process(_png(), filename="a.PNG", declared_type="image/png").accepted
    assert engine.process(_png(), declared_type="application/octet-stream").accepted


def test_crop_outside_image_refused(engine) -> None:
    result = engine.process(_png(), filename="a.png", crop=Box(500, 500, 10, 10))
    assert not result.accepted and "crop rectangle" in result.reason


def test_detector_failure_refuses(monkeypatch) -> None:
    deid = Deidentifier()

    def boom(image):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(deid._text, "read_tile", boom)
    result = deid.process(_png(), filename="a.png")
    assert not result.accepted and "text detector failed" in result.reason
