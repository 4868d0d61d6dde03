"""The STOW-RS response body: a DICOM JSON dataset (PS3.18 §10.5.3, PS3.18 Annex F) naming the
stored instances (ReferencedSOPSequence) and the failed ones with their FailureReason.

The failure codes are the DIMSE status codes PS3.18 Table 10.5.3-2 (I.2-1) reuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROCESSING_FAILURE = 0x0110  # 272: the instance was read but could not be de-identified/stored
SOP_CLASS_NOT_SUPPORTED = 0x0122  # 290: not an image (reports, structured documents, ...)
OUT_OF_RESOURCES = 0xA700  # 42752: the study is larger than this instance accepts
DATASET_MISMATCH = 0xA900  # 43264: required identifying UIDs or attributes missing
CANNOT_UNDERSTAND = 0xC000  # 49152: not DICOM, truncated, or undecodable pixel data


@dataclass(frozen=True)
class Stored:
    sop_class_uid: str
    sop_instance_uid: str


@dataclass(frozen=True)
class Failed:
    sop_class_uid: str
    sop_instance_uid: str
    reason: int
    message: str


def _ui(value: str) -> dict[str, Any]:
    return {"vr": "UI", "Value": [value]} if value else {"vr": "UI"}


def response_body(stored: list[Stored], failed: list[Failed], retrieve_url: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {}
    if retrieve_url:
        body["00081190"] = {"vr": "UR", "Value": [retrieve_url]}
    if failed:
        body["00081198"] = {
            "vr": "SQ",
            "Value": [
                {
                    "00081150": _ui(item.sop_class_uid),
                    "00081155": _ui(item.sop_instance_uid),
                    "00081197": {"vr": "US", "Value": [item.reason]},
                }
                for item in failed
            ],
        }
    if stored:
        body["00081199"] = {
            "vr": "SQ",
            "Value": [
                {"00081150": _ui(item.sop_class_uid), "00081155": _ui(item.sop_instance_uid)}
                for item in stored
            ],
        }
    return body


def http_status(stored: list[Stored], failed: list[Failed]) -> int:
    """200 all stored, 202 some failed (PS3.18 'accepted with warnings/failures'), 409 none stored."""
    if not failed:
        return 200
    return 202 if stored else 409


def warning_headers(failed: list[Failed]) -> list[str]:
    """RFC 7234 Warning header values (PS3.18 §8.7.2): each failure's reason in words."""
    return [_warning(item) for item in failed]


def _warning(item: Failed) -> str:
    text = f"{item.sop_instance_uid or 'part'}: {item.message}".replace('"', "'").replace("\n", " ")
    return f'299 fediverse-cases "{text}"'
