"""DICOM: pixels rendered with rescale/window, no header shared, identifying attributes named only."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from .conftest import corpus


def test_ct_rendered_with_window_and_header_not_shared(engine, exiftool) -> None:
    data = corpus.dicom_file("CT_small.dcm")
    result = engine.process(data, filename="ct.dcm", declared_type="application/dicom")
    assert result.accepted, result.reason
    assert (result.image.width, result.image.height) == (128, 128)
    px = np.asarray(Image.open(io.BytesIO(result.image.data)))
    assert px.std() > 20  # a real rendering, not a flat or blank image
    dicom = result.report.dicom
    assert dicom.modality == "CT"
    assert {"PatientName", "PatientID", "StudyDate", "InstitutionName"} <= set(dicom.identifying_attributes)
    meta = exiftool(result.image.data)
    assert not any(k.startswith(("DICOM", "EXIF", "XMP")) for k in meta)
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data))
    dumped = json.dumps(result.report.to_json())
    for value in (str(ds.PatientName), str(ds.PatientID), str(ds.InstitutionName)):
        assert value and value not in dumped
        assert value.encode() not in result.image.data


def test_window_changes_rendering(engine) -> None:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(corpus.dicom_file("CT_small.dcm")))
    ds.WindowCenter, ds.WindowWidth = 40, 80  # narrow soft-tissue window
    narrow = io.BytesIO()
    ds.save_as(narrow)
    ds.WindowCenter, ds.WindowWidth = 300, 4000
    wide = io.BytesIO()
    ds.save_as(wide)
    a = np.asarray(Image.open(io.BytesIO(engine.process(narrow.getvalue()).image.data))).astype(float)
    b = np.asarray(Image.open(io.BytesIO(engine.process(wide.getvalue()).image.data))).astype(float)
    assert (a == 0).mean() + (a == 255).mean() > (b == 0).mean() + (b == 255).mean() + 0.1


def test_multiframe_renders_middle_frame(engine) -> None:
    result = engine.process(corpus.dicom_file("examples_ybr_color.dcm"), filename="us.dcm")
    assert result.accepted, result.reason
    assert (result.report.dicom.frames, result.report.dicom.frame_rendered) == (30, 15)
    assert "US" in result.report.dicom.text_detection_reason


@pytest.mark.parametrize(
    "name", ["MR_small.dcm", "examples_palette.dcm", "SC_rgb_rle_2frame.dcm", "JPEG2000.dcm"]
)
def test_other_dicom_encodings_render(engine, name: str) -> None:
    result = engine.process(corpus.dicom_file(name), filename=name)
    assert result.accepted, result.reason
    assert "dicom_header" in result.report.metadata_removed


def test_burned_in_annotation_flag_and_text_covered(engine, reader) -> None:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(corpus.dicom_file("CT_small.dcm")))
    img = corpus.radiograph_background(512, 512, seed=5)
    corpus.plant_text(img, "Olga Lindqvist", (20, 20), 26)
    arr = np.asarray(img).astype(np.uint16)
    ds.Rows, ds.Columns = arr.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleIntercept, ds.RescaleSlope, ds.WindowCenter, ds.WindowWidth = 0, 1, 128, 256
    ds.PixelData = arr.tobytes()
    ds.BurnedInAnnotation = "YES"
    buf = io.BytesIO()
    ds.save_as(buf)
    result = engine.process(buf.getvalue(), filename="burned.dcm")
    assert result.accepted, result.reason
    assert result.report.dicom.text_detection_reason == "header declares burned-in annotation"
    assert "Lindqvist" not in " ".join(reader(result.image.data))
    assert any(t.covered for t in result.report.text_regions)


def test_jpeg_ls_without_codec_is_refused_with_transfer_syntax(engine) -> None:
    result = engine.process(corpus.dicom_file("MR_small_jpeg_ls_lossless.dcm"), filename="ls.dcm")
    if result.accepted:  # a JPEG-LS codec (pyjpegls/pylibjpeg) is installed
        pytest.skip("JPEG-LS codec available here")
    assert "JPEG-LS" in result.reason
