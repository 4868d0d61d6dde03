"""PS3.15 Annex E on datasets: the hospital's options change what is kept and the recorded codes,
dates move by the same offset for the same patient, UIDs map consistently, and Clean Pixel Data
covers the boxes on every frame of a multi-frame object."""

from __future__ import annotations

import numpy as np

from fediverse_cases.dicom.instances import read_instance
from fediverse_cases.dicom.profile import ProfileOptions, apply_profile
from tests.dicom.conftest import assert_no_phi_in_header, dicom_of
from tests.support.dicom_studies import make_study

SECRET = b"instance secret"


def _apply(data: bytes, options: ProfileOptions, boxes=()):  # type: ignore[no-untyped-def]
    ds = dicom_of(data)
    record = apply_profile(
        ds, options, secret=SECRET, patient_key=read_instance(data).patient_key, clean_boxes=list(boxes)
    )
    return ds, record


def test_without_options_dates_and_characteristics_go_and_only_basic_codes_are_recorded() -> None:
    ds, record = _apply(make_study(1, size=64, burned=False).instances[0], ProfileOptions(False, False))
    assert_no_phi_in_header(ds)
    assert [item.CodeValue for item in ds.DeidentificationMethodCodeSequence] == ["113100", "113101"]
    assert [code for code, _ in record.codes] == ["113100", "113101"]
    assert "Dates and times were removed." in record.plain_words
    assert ds.StudyDate == "" and ds.StudyTime == "" and "PatientAge" not in ds and ds.PatientSex == ""
    assert ds.LongitudinalTemporalInformationModified == "REMOVED"
    assert ds.DeidentificationMethod.startswith("DICOM PS3.15 Annex E")


def test_modified_dates_keep_intervals_per_patient_and_uids_map_consistently() -> None:
    first, second = make_study(2, size=64, burned=False), make_study(1, size=64, burned=False)
    a0, _ = _apply(first.instances[0], ProfileOptions())
    a1, _ = _apply(first.instances[1], ProfileOptions())
    b0, _ = _apply(second.instances[0], ProfileOptions())  # the same planted patient, another study
    assert a0.StudyDate == b0.StudyDate != "20240611"  # same patient, same shift
    assert a0.SeriesInstanceUID == a1.SeriesInstanceUID != first.series_uid
    assert a0.StudyInstanceUID != b0.StudyInstanceUID
    assert a0.SOPInstanceUID != a1.SOPInstanceUID
    assert a0.file_meta.MediaStorageSOPInstanceUID == a0.SOPInstanceUID
    assert a0.PatientAge == "060Y" and a0.PatientSex == "F" and a0.StudyTime  # times kept

    other = dicom_of(second.instances[0])
    other.PatientID = "SOMEONE-ELSE-1"
    import io

    buffer = io.BytesIO()
    other.save_as(buffer, enforce_file_format=True)
    c0, _ = _apply(buffer.getvalue(), ProfileOptions())
    assert c0.StudyDate != a0.StudyDate  # another patient, another shift


def test_clean_pixel_data_covers_every_frame() -> None:
    import io

    ds = dicom_of(make_study(1, size=64, burned=False).instances[0])
    frames = np.full((3, 64, 64), 500, dtype=np.int16)
    ds.NumberOfFrames = 3
    ds.PixelData = frames.tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    cleaned, _ = _apply(buffer.getvalue(), ProfileOptions(), boxes=[(4, 4, 20, 12)])
    arr = cleaned.pixel_array
    assert arr.shape == (3, 64, 64)
    for frame in arr:
        assert (frame[4:12, 4:20] != 500).all() and (frame[30:, 30:] == 500).all()
    assert cleaned.BurnedInAnnotation == "NO"
