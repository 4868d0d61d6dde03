"""DICOM: render the pixel data to an ordinary 8-bit image and share none of the header.

Applies the modality rescale and the window (VOI) from the header, inverts MONOCHROME1, picks the
middle frame of a multi-frame object, and reports which identifying header attributes were
present, by keyword only. Imports pydicom and numpy.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .model import DeidentifyPolicy, Refusal
from .pixels import DecodedImage, check_pixels, detection_windows, scale_to_uint8
from .report import DicomSummary

# PS3.15 Annex E attributes that identify a patient, a device or a place (keywords, not values).
IDENTIFYING_KEYWORDS: tuple[str, ...] = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientAge",
    "PatientSex",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "MilitaryRank",
    "EthnicGroup",
    "PatientComments",
    "MedicalRecordLocator",
    "AccessionNumber",
    "StudyID",
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "StudyTime",
    "SeriesTime",
    "AcquisitionDateTime",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "ReferringPhysicianName",
    "ReferringPhysicianAddress",
    "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "OperatorsName",
    "RequestingPhysician",
    "StationName",
    "DeviceSerialNumber",
    "DeviceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "FrameOfReferenceUID",
    "StudyDescription",
    "SeriesDescription",
    "RequestAttributesSequence",
    "ImageComments",
)

_SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"


def decode_dicom(data: bytes, policy: DeidentifyPolicy) -> DecodedImage:
    # pydicom is imported on first DICOM only: it is heavy and most uploads are photos (cold start).
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data))
    except (InvalidDicomError, Exception) as exc:
        raise Refusal(f"the DICOM file cannot be parsed ({type(exc).__name__})") from None
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise Refusal("the DICOM file has no pixel data (reports and structured documents are not images)")
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    check_pixels(cols, rows, policy)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    frame = frames // 2
    try:
        arr, raw = _frame_array(ds, frame, frames)
    except Refusal:
        raise
    except Exception as exc:
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        name = getattr(syntax, "name", str(syntax))
        raise Refusal(f"the DICOM pixel data cannot be decoded ({name}; {type(exc).__name__})") from None
    image, windowing = _render(ds, arr)
    # The header's window (or one percentile window) can clip burned-in text drawn at the range's
    # extreme or at one palette index: the text detector also sees other renderings of the values.
    views = detection_windows(raw if raw.ndim == 2 else raw[..., :3].mean(axis=-1))
    modality = str(ds.get("Modality", "") or "") or None
    burned = str(ds.get("BurnedInAnnotation", "") or "").upper() or None
    return DecodedImage(
        image=image,
        source_format="dicom",
        metadata_found=frozenset({"dicom_header"} | ({"dicom_private_tags"} if _has_private(ds) else set())),
        dicom=DicomSummary(
            modality=modality,
            burned_in_annotation=burned,
            text_detection_reason=_text_reason(ds, modality, burned, policy),
            identifying_attributes=identifying_attributes(ds),
            frames=frames,
            frame_rendered=frame,
            windowing=windowing,
        ),
        detection_views=views,
    )


def identifying_attributes(ds) -> tuple[str, ...]:
    present = []
    for keyword in IDENTIFYING_KEYWORDS:
        value = ds.get(keyword)
        if value is not None and str(value).strip() not in ("", "[]"):
            present.append(keyword)
    if _has_private(ds):
        present.append("PrivateTags")
    return tuple(present)


def _has_private(ds) -> bool:
    return any(elem.tag.is_private for elem in ds)


def _text_reason(ds, modality: str | None, burned: str | None, policy: DeidentifyPolicy) -> str:
    sop = str(ds.get("SOPClassUID", "") or "")
    if burned == "YES":
        return "header declares burned-in annotation"
    if modality and modality.upper() in policy.burned_in_modalities:
        return f"modality {modality.upper()} usually carries burned-in annotation"
    if sop.startswith(_SECONDARY_CAPTURE_PREFIX):
        return "secondary capture (screenshot) object"
    # The header can be wrong: text detection runs on every image anyway (fail closed).
    return "run on every image"


def _frame_array(ds, frame: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(display values, stored values): for palette colour the RGB after the LUT and the indices."""
    # pydicom is imported on first DICOM only: it is heavy and most uploads are photos.
    from pydicom.pixels import pixel_array

    arr = pixel_array(ds, index=frame if frames > 1 else None)
    if arr.ndim == 3 and arr.shape[-1] not in (3, 4):
        arr = arr[arr.shape[0] // 2]
    raw = arr
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        arr = apply_color_lut(arr, ds)
    if arr.ndim not in (2, 3) or raw.ndim not in (2, 3):
        raise Refusal(f"unexpected DICOM pixel array shape {arr.shape}")
    return arr, raw


def _render(ds, arr: np.ndarray) -> tuple[Image.Image, str]:
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if arr.ndim == 3:  # colour: already RGB after pydicom's conversion
        rgb = arr[..., :3]
        if rgb.dtype != np.uint8:
            rgb = scale_to_uint8(rgb, 0, float(2 ** _colour_bits(ds) - 1))
        return Image.fromarray(np.ascontiguousarray(rgb), "RGB"), "colour, no window"
    from pydicom.pixels import apply_modality_lut, apply_voi_lut  # lazy: see decode_dicom

    values = apply_modality_lut(arr, ds).astype(np.float32)
    windowing = "percentile 0.5-99.5"
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is not None and width is not None:
        c = float(center[0] if _is_multi(center) else center)
        w = float(width[0] if _is_multi(width) else width)
        if w > 1:
            out = scale_to_uint8(values, c - w / 2.0, c + w / 2.0)
            windowing = "window center/width from header"
        else:
            out = scale_to_uint8(values)
    elif "VOILUTSequence" in ds:
        voi = apply_voi_lut(arr, ds).astype(np.float32)
        out = scale_to_uint8(voi, float(voi.min()), float(voi.max()))
        windowing = "VOI LUT from header"
    else:
        out = scale_to_uint8(values)
    if photometric == "MONOCHROME1":
        out = 255 - out
    return Image.fromarray(np.ascontiguousarray(out), "L"), windowing


def _colour_bits(ds) -> int:
    """Bits per colour sample: a palette's LUT entries have their own depth (the descriptor's third
    value, usually 16 even for 8-bit indices); scaling them by BitsStored saturates the image."""
    if str(ds.get("PhotometricInterpretation", "")) == "PALETTE COLOR":
        descriptor = ds.get("RedPaletteColorLookupTableDescriptor")
        if descriptor is not None and len(descriptor) == 3 and int(descriptor[2]) in (8, 16):
            return int(descriptor[2])
    return int(ds.get("BitsStored", 8) or 8)


def _is_multi(value) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, "__len__")
