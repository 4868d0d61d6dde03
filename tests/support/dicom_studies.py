"""Studies with planted PHI for the DICOM intake tests: pydicom's CT sample as the template, a
512x512 phantom per slice with the patient's name and record number burned into the pixels,
identifiers in the header (standard, private and nested), and STOW-RS multipart bodies."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# Header values that must never be found in anything shared.
PHI_HEADER = {
    "PatientName": "Quaresma^Dolores",
    "PatientID": "MRN48213977",
    "PatientBirthDate": "19610302",
    "InstitutionName": "Saint Wenceslas Infirmary",
    "ReferringPhysicianName": "Okonkwo^Bartholomew",
    "AccessionNumber": "ACC99120731",
    "StudyDescription": "CT chest for Dolores Quaresma",
    "OperatorsName": "Tech^Henrietta",
    "StationName": "WENCESLAS-CT3",
    "StudyDate": "20240611",
}
PRIVATE_VALUE = "PRIVATE-MRN48213977"
BURNED_TEXT = "QUARESMA DOLORES 48213977"


@dataclass(frozen=True)
class Study:
    instances: list[bytes]
    study_uid: str
    series_uid: str
    sop_instance_uids: list[str]


def _uid() -> str:
    return "2.25." + str(int.from_bytes(secrets.token_bytes(15), "big"))


def _phantom(index: int, size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    centre = size / 2
    body = ((yy - centre) ** 2 + (xx - centre) ** 2) < (size * 0.4) ** 2
    organ = ((yy - centre - index % 20) ** 2 + (xx - centre * 0.8) ** 2) < (size * 0.08) ** 2
    arr = np.full((size, size), -1000, dtype=np.int16)  # air, in HU after rescale
    arr[body] = 40
    arr[organ] = 300
    return arr


def _burn(arr: np.ndarray, text: str) -> np.ndarray:
    image = Image.new("L", (arr.shape[1], arr.shape[0]), 0)
    ImageDraw.Draw(image).text((12, 10), text, fill=255, font=ImageFont.truetype(FONT, 22))
    mask = np.asarray(image) > 127
    out = arr.copy()
    out[mask] = 2000  # bright overlay text, as scanners burn it
    return out


def make_study(slices: int = 3, *, size: int = 512, burned: bool = True) -> Study:
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.dataset import Dataset

    template = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    study_uid, series_uid, frame_uid = _uid(), _uid(), _uid()
    out, uids = [], []
    for index in range(slices):
        ds = template.copy()
        for keyword, value in PHI_HEADER.items():
            setattr(ds, keyword, value)
        ds.PatientAge = "063Y"
        ds.PatientSex = "F"
        block = ds.private_block(0x0011, "HOSPITAL PACS", create=True)
        block.add_new(0x01, "LO", PRIVATE_VALUE)
        other = Dataset()
        other.PatientID = "OTHER-MRN48213977"
        ds.OtherPatientIDsSequence = [other]
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study_uid, series_uid, frame_uid
        ds.SOPInstanceUID = _uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = index + 1
        ds.ImagePositionPatient = [0.0, 0.0, float(index)]
        ds.BurnedInAnnotation = "YES" if burned else "NO"
        pixels = _phantom(index, size)
        stored = (pixels - int(ds.RescaleIntercept)) if "RescaleIntercept" in ds else pixels
        if burned:
            stored = _burn(stored.astype(np.int16), BURNED_TEXT)
        ds.Rows = ds.Columns = size
        ds.PixelRepresentation = 1
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.WindowCenter, ds.WindowWidth = 40, 400
        ds.PixelData = stored.astype(np.int16).tobytes()
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        out.append(buffer.getvalue())
        uids.append(str(ds.SOPInstanceUID))
    return Study(out, study_uid, series_uid, uids)


def multipart(parts: list[tuple[str, bytes]], boundary: str = "DICOMwebBoundary42") -> tuple[bytes, str]:
    """(body, Content-Type) of a STOW-RS request holding ``parts`` (content type, bytes)."""
    chunks = []
    for content_type, data in parts:
        chunks.append(f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f'multipart/related; type="application/dicom"; boundary={boundary}'


def dicom_parts(instances: list[bytes]) -> list[tuple[str, bytes]]:
    return [("application/dicom", data) for data in instances]


def make_multiframe(frames: int = 3, *, size: int = 384) -> bytes:
    """One multi-frame instance with the planted name burned at a different place on each frame
    (top-left on the first, bottom-left on the last): covering the middle frame's text is not enough."""
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(make_study(1, size=size, burned=False).instances[0]))
    stack = []
    for index in range(frames):
        pixels = _phantom(index, size) - int(ds.get("RescaleIntercept", 0) or 0)
        image = Image.new("L", (size, size), 0)
        y = 10 + (size - 50) * index // max(frames - 1, 1)
        ImageDraw.Draw(image).text((12, y), BURNED_TEXT, fill=255, font=ImageFont.truetype(FONT, 22))
        frame = pixels.astype(np.int16)
        frame[np.asarray(image) > 127] = 2000
        stack.append(frame)
    ds.NumberOfFrames = frames
    ds.BurnedInAnnotation = "YES"
    ds.PixelData = np.stack(stack).astype(np.int16).tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
