"""``multipart/related; type="application/dicom"`` bodies (PS3.18 §8.6.1.2): split into parts.

A body that is not multipart/related, names another root type, has no boundary or is cut off
before its closing delimiter is refused as a whole (nothing in it can be trusted to be complete).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

DICOM_TYPE = "application/dicom"


class MultipartError(ValueError):
    """The body as a whole cannot be read; ``unsupported_type`` means answer 415, else 400."""

    def __init__(self, message: str, *, unsupported_type: bool = False) -> None:
        super().__init__(message)
        self.unsupported_type = unsupported_type


@dataclass(frozen=True)
class Part:
    content_type: str
    data: bytes


def _parse_content_type(value: str) -> Message:
    message = Message()
    message["Content-Type"] = value
    return message


def parse_related(content_type: str, body: bytes) -> list[Part]:
    header = _parse_content_type(content_type or "")
    if header.get_content_type() != "multipart/related":
        raise MultipartError(
            f'expected Content-Type multipart/related; type="{DICOM_TYPE}", got '
            f"{(content_type or 'none').split(';')[0]!r}",
            unsupported_type=True,
        )
    root_type = str(header.get_param("type") or DICOM_TYPE).lower()
    if root_type != DICOM_TYPE:
        raise MultipartError(
            f'only type="{DICOM_TYPE}" is accepted (PS3.10 files), got type="{root_type}"',
            unsupported_type=True,
        )
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("the multipart/related Content-Type has no boundary parameter")
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start < 0:
        raise MultipartError("the body contains no multipart boundary")
    parts: list[Part] = []
    position = start + len(delimiter)
    while True:
        if body[position : position + 2] == b"--":
            return parts
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise MultipartError("the body ends inside a part header (truncated)")
        end = body.find(b"\r\n" + delimiter, line_end)
        if end < 0:
            raise MultipartError(f"part {len(parts) + 1} has no closing boundary: the body was truncated")
        parts.append(_part(body[line_end + 2 : end], len(parts) + 1))
        position = end + 2 + len(delimiter)


def _part(raw: bytes, number: int) -> Part:
    head, separator, data = raw.partition(b"\r\n\r\n")
    if not separator:
        if raw.startswith(b"\r\n"):  # no headers at all: the part is the default type
            return Part(DICOM_TYPE, raw[2:])
        raise MultipartError(f"part {number} has no header/body separator")
    content_type = DICOM_TYPE
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            content_type = _parse_content_type(value.strip()).get_content_type()
    return Part(content_type, data)
