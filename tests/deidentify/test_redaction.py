"""Faces and burned-in text are covered with solid pixels; markers on the allow-list stay legible;
manual regions and crop use upright-original coordinates."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from fediverse_cases.deidentify import Box, Deidentifier, DeidentifyPolicy

from .conftest import corpus


def _encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


@pytest.fixture(scope="module")
def radiograph_with_labels() -> tuple[bytes, dict[str, tuple[int, int, int, int]]]:
    img = corpus.radiograph_background(640, 480, seed=11)
    boxes = {
        "MRN 48213377": corpus.plant_text(img, "MRN 48213377", (30, 30), 22),
        "Maria Novak": corpus.plant_text(img, "Maria Novak", (30, 420), 24),
        "DOB 02/11/1948": corpus.plant_text(img, "DOB 02/11/1948", (330, 380), 20, angle=8),
        "R": corpus.plant_text(img, "R", (580, 30), 36, contrast=230),
    }
    return _encode(img), boxes


def test_planted_phi_readable_before_and_unreadable_after(engine, reader, radiograph_with_labels) -> None:
    data, _ = radiograph_with_labels
    before = " ".join(reader(data))
    assert "48213377" in before and "Novak" in before  # the test image really carries legible PHI

    result = engine.process(data, filename="xray.png")

    assert result.accepted, result.reason
    after = " ".join(reader(result.image.data))
    for fragment in ("48213377", "Novak", "Maria", "1948", "MRN"):
        assert fragment not in after


def test_allowlisted_marker_stays_and_report_holds_no_text(engine, reader, radiograph_with_labels) -> None:
    data, _ = radiograph_with_labels
    result = engine.process(data, filename="xray.png")
    assert "R" in [t.strip() for t in reader(result.image.data)]
    kept = [t for t in result.report.text_regions if not t.covered]
    assert any(t.category == "allowlisted_marker" for t in kept)
    covered = [t for t in result.report.text_regions if t.covered]
    assert len(covered) >= 3
    assert any(t.category == "id" for t in covered)
    dumped = json.dumps(result.report.to_json())
    for secret in ("48213377", "Novak", "Maria", "1948"):
        assert secret not in dumped


def test_redaction_is_solid_fill_not_blur(engine, radiograph_with_labels) -> None:
    data, boxes = radiograph_with_labels
    result = engine.process(data, filename="xray.png")
    x, y, w, h = boxes["MRN 48213377"]
    region = _pixels(result.image.data)[y : y + h, x : x + w]
    assert region.max() == 0  # PNG output: exactly solid black, no residue of the glyphs


def test_empty_allowlist_covers_markers_too(reader, radiograph_with_labels) -> None:
    data, _ = radiograph_with_labels
    strict = Deidentifier(DeidentifyPolicy(text_allowlist=()))
    result = strict.process(data, filename="xray.png")
    assert "R" not in [t.strip() for t in reader(result.image.data)]
    assert all(t.covered for t in result.report.text_regions if t.category != "not_text")


def test_custom_allowlist_keeps_scale_bar_label(engine, reader) -> None:
    img = corpus.photo_background(500, 300, seed=4)
    corpus.plant_text(img, "5 mm", (380, 250), 22, contrast=220)
    corpus.plant_text(img, "Chen Tanaka", (40, 40), 24, contrast=220)
    result = engine.process(_encode(img), filename="slide.png")
    read = " ".join(reader(result.image.data))
    assert "5 mm" in read or "5mm" in read
    assert "Tanaka" not in read


def test_cover_text_off_keeps_text(reader, radiograph_with_labels) -> None:
    data, _ = radiograph_with_labels
    result = Deidentifier(DeidentifyPolicy(cover_text=False, cover_faces=False)).process(
        data, filename="x.png"
    )
    assert "48213377" in " ".join(reader(result.image.data))


def test_face_is_covered_with_margin(engine) -> None:
    face = corpus.astronaut()
    result = engine.process(_encode(face, "JPEG"), filename="astro.jpg")
    assert result.accepted
    fx, fy, fw, fh = corpus.ASTRONAUT_FACE
    assert any(f.box.x <= fx + 10 and f.box.right >= fx + fw - 10 for f in result.report.faces)
    found = [f.to_json() for f in result.report.faces]
    assert all(f["detector"] == "mtcnn" for f in found) and "rotation_0" in {f["pass"] for f in found}
    out = _pixels(result.image.data)
    assert out[fy : fy + fh, fx : fx + fw].mean() < 8  # eyes, nose and mouth are black
    assert out[fy - 5 : fy, fx : fx + fw].mean() < 8  # margin above the detected box


@pytest.mark.parametrize("rotation", [90, 270])
def test_sideways_face_is_covered(engine, rotation: int) -> None:
    img = corpus.astronaut().rotate(rotation, expand=True)
    box = corpus._rotate_box(corpus.ASTRONAUT_FACE, rotation, 512, 512)
    result = engine.process(_encode(img, "JPEG"), filename="astro.jpg")
    x, y, w, h = box
    assert _pixels(result.image.data)[y : y + h, x : x + w].mean() < 8


def test_manual_regions_and_crop_in_upright_coordinates(engine) -> None:
    img = Image.new("RGB", (400, 300), (200, 200, 200))
    buf = io.BytesIO()
    # Stored rotated; orientation 6 makes it 400x300 upright again.
    img.transpose(Image.Transpose.ROTATE_90).save(
        buf, "JPEG", quality=95, exif=corpus.exif_bytes(6, with_thumbnail=False)
    )
    result = engine.process(
        buf.getvalue(), filename="x.jpg", regions=[Box(50, 40, 60, 30)], crop=Box(20, 20, 300, 200)
    )
    assert result.accepted, result.reason
    assert (result.image.width, result.image.height) == (300, 200)
    out = _pixels(result.image.data)
    assert out[20 + 5 : 20 + 25, 30 + 5 : 30 + 55].mean() < 10  # region shifted by the crop offset
    assert out[150:190, 200:280].mean() > 180  # the rest untouched
    assert result.report.manual_regions == (Box(50, 40, 60, 30),)
    assert result.report.crop == Box(20, 20, 300, 200)


def test_manual_region_applied_before_derivatives(engine) -> None:
    img = corpus.photo_background(3000, 1500, seed=8)
    result = engine.process(_encode(img, "JPEG"), filename="a.jpg", regions=[Box(0, 0, 1500, 1500)])
    for blob in (result.image.display, result.image.thumbnail):
        px = _pixels(blob)
        assert px[:, : px.shape[1] // 2 - 4].max() < 16
