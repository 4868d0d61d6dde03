"""Read one received DICOM instance and check it is a complete image before anything is kept.

An instance is accepted here only when it is a PS3.10 file with the UIDs that place it in a study
and series, and its pixel data decodes in full (a truncated transfer is caught by decoding, not by
trusting the length fields). Failures carry the PS3.18 FailureReason and a sentence saying why.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from . import store_result

_REQUIRED = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")


@dataclass(frozen=True)
class ReceivedInstance:
    data: bytes
    sop_class_uid: str
    sop_instance_uid: str
    study_uid: str
    series_uid: str
    modality: str
    instance_number: int
    frames: int
    # Who the patient is, only to pick the same date shift for the same patient (never shared).
    patient_key: str


@dataclass
class InstanceRefusal(Exception):  # not frozen: raising sets __traceback__
    sop_class_uid: str
    sop_instance_uid: str
    reason: int
    message: str

    def as_failed(self) -> store_result.Failed:
        return store_result.Failed(self.sop_class_uid, self.sop_instance_uid, self.reason, self.message)


@dataclass(frozen=True)
class Series:
    study_uid: str
    series_uid: str
    modality: str
    instances: tuple[ReceivedInstance, ...]  # ordered by InstanceNumber

    @property
    def key_instance(self) -> ReceivedInstance:
        """The middle of the stack: what the case shows until a stack viewer shows them all."""
        return self.instances[len(self.instances) // 2]


def read_instance(data: bytes, content_type: str = "application/dicom", number: int = 1) -> ReceivedInstance:
    # pydicom is imported on first use: it is heavy and the web process may never receive DICOM.
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import pixel_array

    if content_type != "application/dicom":
        raise InstanceRefusal(
            "",
            "",
            store_result.CANNOT_UNDERSTAND,
            f"part {number} is {content_type}, not application/dicom",
        )
    if len(data) < 132 or data[128:132] != b"DICM":
        raise InstanceRefusal(
            "",
            "",
            store_result.CANNOT_UNDERSTAND,
            f"part {number} is not a DICOM PS3.10 file (no DICM prefix after the 128-byte preamble)",
        )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(io.BytesIO(data))
    except (InvalidDicomError, Exception) as exc:
        raise InstanceRefusal(
            "",
            "",
            store_result.CANNOT_UNDERSTAND,
            f"part {number} cannot be parsed as DICOM ({type(exc).__name__}): truncated or corrupt",
        ) from None
    if _cut_short(ds, caught):
        raise InstanceRefusal(
            str(ds.get("SOPClassUID", "") or ""),
            str(ds.get("SOPInstanceUID", "") or ""),
            store_result.CANNOT_UNDERSTAND,
            f"part {number} ends inside an element: the file was truncated",
        )
    sop_class = str(ds.get("SOPClassUID", "") or "")
    sop_instance = str(ds.get("SOPInstanceUID", "") or "")
    missing = [keyword for keyword in _REQUIRED if not str(ds.get(keyword, "") or "").strip()]
    if missing:
        raise InstanceRefusal(
            sop_class,
            sop_instance,
            store_result.DATASET_MISMATCH,
            f"part {number} lacks {', '.join(missing)}",
        )
    if "PixelData" not in ds:
        raise InstanceRefusal(
            sop_class,
            sop_instance,
            store_result.SOP_CLASS_NOT_SUPPORTED,
            "only images are accepted (this instance has no pixel data, or was cut off before it)",
        )
    _check_length(ds, sop_class, sop_instance)
    try:
        frames = pixel_array(ds)  # every frame: a short compressed transfer fails here
    except Exception as exc:
        raise InstanceRefusal(
            sop_class,
            sop_instance,
            store_result.CANNOT_UNDERSTAND,
            f"the pixel data cannot be decoded in full ({type(exc).__name__}): truncated or corrupt",
        ) from None
    count = int(ds.get("NumberOfFrames", 1) or 1)
    if frames.size == 0:
        raise InstanceRefusal(sop_class, sop_instance, store_result.CANNOT_UNDERSTAND, "the image is empty")
    return ReceivedInstance(
        data=data,
        sop_class_uid=sop_class,
        sop_instance_uid=sop_instance,
        study_uid=str(ds.StudyInstanceUID),
        series_uid=str(ds.SeriesInstanceUID),
        modality=str(ds.get("Modality", "") or ""),
        instance_number=_int(ds.get("InstanceNumber")),
        frames=count,
        patient_key=f"{ds.get('IssuerOfPatientID', '')}|{ds.get('PatientID', '')}|{ds.get('PatientName', '')}",
    )


def _cut_short(ds, caught: list[warnings.WarningMessage]) -> bool:  # type: ignore[no-untyped-def]
    """pydicom reads a cut-off file without an error: an element shorter than its declared length,
    or an undefined-length value with no end delimiter, gives it away."""
    from pydicom.dataelem import RawDataElement

    if any("End of file reached" in str(warning.message) for warning in caught):
        return True
    for tag in list(ds.keys()):  # the tags only: iterating the dataset would convert values
        raw = ds.get_item(tag)
        if (
            isinstance(raw, RawDataElement)
            and raw.length != 0xFFFFFFFF
            and raw.value is not None
            and len(raw.value) < raw.length
        ):
            return True
    return False


def _check_length(ds, sop_class: str, sop_instance: str) -> None:  # type: ignore[no-untyped-def]
    """Native pixel data must hold every frame: pydicom pads a short read instead of failing."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is not None and syntax.is_encapsulated:
        return
    expected = (
        int(ds.get("Rows", 0) or 0)
        * int(ds.get("Columns", 0) or 0)
        * int(ds.get("SamplesPerPixel", 1) or 1)
        * int(ds.get("NumberOfFrames", 1) or 1)
        * int(ds.get("BitsAllocated", 8) or 8)
        + 7
    ) // 8
    if len(ds.PixelData) < expected:
        raise InstanceRefusal(
            sop_class,
            sop_instance,
            store_result.CANNOT_UNDERSTAND,
            f"the pixel data is {len(ds.PixelData)} bytes, {expected} expected: the file was truncated",
        )


def _int(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def group_series(instances: Sequence[ReceivedInstance]) -> list[Series]:
    """Series in arrival order, each an ordered stack; a repeated SOP instance is kept once."""
    grouped: dict[tuple[str, str], dict[str, ReceivedInstance]] = {}
    for instance in instances:
        grouped.setdefault((instance.study_uid, instance.series_uid), {}).setdefault(
            instance.sop_instance_uid, instance
        )
    return [
        Series(
            study_uid=study,
            series_uid=series,
            modality=next(iter(members.values())).modality,
            instances=tuple(sorted(members.values(), key=lambda i: (i.instance_number, i.sop_instance_uid))),
        )
        for (study, series), members in grouped.items()
    ]
