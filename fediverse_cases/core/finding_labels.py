"""Plain-language names for what de-identification found: identifier kinds in text, metadata
removed from files, and the shapes of text found in images.

The reports keep their codes (``exif_gps``, ``date``, ``unreadable_label``), which tools and the
`scan-text` contract rely on; clinicians and reviewers read these phrases instead. An unknown code
(a newer detector's) reads as its words, never as a bare code."""

from __future__ import annotations

from collections.abc import Iterable

TEXT_KIND_LABELS: dict[str, str] = {
    "name": "a name",
    "address": "an address or place",
    "date": "a date (such as a date of birth or visit)",
    "age": "an age over 89",
    "phone": "a phone or fax number",
    "email": "an e-mail address",
    "id": "a record, account or ID number",
    "mrn": "a medical record number",
    "url": "a web address",
    "ip": "an IP address",
    "other": "another identifier",
}

METADATA_LABELS: dict[str, str] = {
    "exif": "photo metadata (EXIF)",
    "exif_camera": "camera make and model",
    "exif_gps": "camera location data (GPS)",
    "exif_datetime": "the time the photo was taken",
    "exif_text": "text stored in the photo's metadata",
    "exif_makernote": "the camera maker's private data",
    "xmp": "editing metadata (XMP)",
    "iptc": "caption and author metadata (IPTC)",
    "comment": "a comment embedded in the file",
    "png_text": "text stored in the PNG file",
    "icc": "a colour profile",
    "dicom": "DICOM file header",
    "dicom_header": "DICOM patient and study details",
    "dicom_private_tags": "DICOM private (vendor) fields",
}

IMAGE_TEXT_LABELS: dict[str, str] = {
    **TEXT_KIND_LABELS,
    "number": "a number",
    "words": "words",
    "mixed": "letters and numbers",
    "symbols": "symbols",
    "unreadable": "text that could not be read",
    "unreadable_label": "a printed label that could not be read (covered to be safe)",
    "allowlisted_marker": "an allowed marker (such as L/R or a scale)",
    "not_text": "not text",
}


def _readable(code: str) -> str:
    return code.replace("_", " ").strip() or "unknown"


def text_kind_label(code: str) -> str:
    return TEXT_KIND_LABELS.get(code, _readable(code))


def metadata_label(code: str) -> str:
    return METADATA_LABELS.get(code, _readable(code))


def image_text_label(code: str) -> str:
    return IMAGE_TEXT_LABELS.get(code, _readable(code))


def metadata_labels(codes: Iterable[str]) -> str:
    """ "camera location data (GPS), camera make and model", or "none found"."""
    labels = [metadata_label(code) for code in codes]
    return ", ".join(labels) if labels else "none found"


def text_kind_labels(codes: Iterable[str]) -> str:
    return ", ".join(text_kind_label(code) for code in codes)
