"""Byte-level walkers for JPEG segments, PNG chunks and WebP (RIFF) chunks.

Used twice: to list which metadata categories an input carried (for the report) and to verify
that an output carries nothing but pixels. Pure functions over bytes; imports only the stdlib.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ContainerError(ValueError):
    """The bytes do not form a well-structured container."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One JPEG marker segment, PNG chunk or RIFF chunk. ``tag`` is the marker byte or chunk type."""

    tag: int | bytes
    payload: bytes


@dataclass(frozen=True, slots=True)
class Layout:
    segments: tuple[Segment, ...]
    end: int  # offset just past the container's logical end (EOI, IEND, RIFF size)

    def trailing(self, total: int) -> int:
        return max(0, total - self.end)


_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def walk_jpeg(data: bytes) -> Layout:
    """Segments of a JPEG (entropy-coded data skipped). Raises ContainerError if malformed."""
    if not data.startswith(b"\xff\xd8"):
        raise ContainerError("no JPEG start-of-image marker")
    segments: list[Segment] = []
    pos, n = 2, len(data)
    while True:
        if pos >= n:
            raise ContainerError("JPEG ends before its end-of-image marker (truncated)")
        if data[pos] != 0xFF:
            raise ContainerError("JPEG marker expected")
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            raise ContainerError("JPEG truncated inside a marker")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            segments.append(Segment(marker, b""))
            return Layout(tuple(segments), pos)
        if marker in _JPEG_STANDALONE:
            segments.append(Segment(marker, b""))
            continue
        if pos + 2 > n:
            raise ContainerError("JPEG truncated inside a segment header")
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > n:
            raise ContainerError("JPEG segment runs past the end of the file (truncated)")
        segments.append(Segment(marker, data[pos + 2 : pos + length]))
        pos += length
        if marker == 0xDA:
            pos = _skip_entropy(data, pos)


def _skip_entropy(data: bytes, pos: int) -> int:
    """Offset of the first real marker after entropy-coded data (stuffed 0xFF00 and RSTn skipped)."""
    n = len(data)
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= n:
            raise ContainerError("JPEG scan data runs to the end of the file (truncated)")
        nxt = data[pos + 1]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
            pos += 1 if nxt == 0xFF else 2
            continue
        return pos


def walk_png(data: bytes) -> Layout:
    if not data.startswith(PNG_SIGNATURE):
        raise ContainerError("no PNG signature")
    segments: list[Segment] = []
    pos, n = 8, len(data)
    while True:
        if pos + 8 > n:
            raise ContainerError("PNG ends before its IEND chunk (truncated)")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > n:
            raise ContainerError("PNG chunk runs past the end of the file (truncated)")
        payload = data[pos + 8 : pos + 8 + length] if ctype != b"IDAT" else b""
        segments.append(Segment(ctype, payload))
        pos = end
        if ctype == b"IEND":
            return Layout(tuple(segments), pos)


def walk_webp(data: bytes) -> Layout:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ContainerError("no RIFF/WEBP header")
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if end > len(data):
        raise ContainerError("WebP RIFF size runs past the end of the file (truncated)")
    segments: list[Segment] = []
    pos = 12
    while pos + 8 <= end:
        ctype = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        stop = pos + 8 + length
        if stop > end:
            raise ContainerError("WebP chunk runs past the end of the file (truncated)")
        keep = ctype not in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF")
        segments.append(Segment(ctype, data[pos + 8 : stop] if keep else b""))
        pos = stop + (length & 1)
    return Layout(tuple(segments), end)


# --- metadata inventory ------------------------------------------------------------------------

_PNG_BENIGN = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"pHYs", b"sBIT"}
_PNG_BENIGN |= {b"bKGD"}


def jpeg_categories(layout: Layout) -> set[str]:
    found: set[str] = set()
    for seg in layout.segments:
        tag, p = seg.tag, seg.payload
        if tag == 0xFE:
            found.add("comment")
        elif tag == 0xE1 and p.startswith(b"Exif\0"):
            found.add("exif")
        elif tag == 0xE1 and (b"ns.adobe.com/xap" in p[:64] or b"ns.adobe.com/xmp" in p[:64]):
            found.add("xmp")
        elif tag == 0xED:
            found.add("iptc")
        elif tag == 0xE2 and p.startswith(b"ICC_PROFILE"):
            found.add("icc_profile")
        elif tag == 0xE2 and p.startswith(b"MPF"):
            found.add("embedded_images")
        elif (tag == 0xE0 and p.startswith(b"JFXX")) or (
            tag == 0xE0 and p.startswith(b"JFIF") and len(p) > 14 and (p[12] or p[13])
        ):
            found.add("thumbnail")
        elif isinstance(tag, int) and 0xE1 <= tag <= 0xEF and tag != 0xEE:
            found.add("application_segment")
    return found


def png_categories(layout: Layout) -> set[str]:
    found: set[str] = set()
    for seg in layout.segments:
        tag = seg.tag
        if tag in (b"tEXt", b"zTXt", b"iTXt"):
            found.add("xmp" if seg.payload.startswith(b"XML:com.adobe.xmp") else "png_text")
        elif tag == b"eXIf":
            found.add("exif")
        elif tag == b"iCCP":
            found.add("icc_profile")
        elif tag == b"tIME":
            found.add("timestamp")
        elif tag in (b"acTL", b"fcTL", b"fdAT"):
            found.add("animation")
        elif tag not in _PNG_BENIGN:
            found.add("private_chunk")
    return found


def webp_categories(layout: Layout) -> set[str]:
    names = {b"EXIF": "exif", b"XMP ": "xmp", b"ICCP": "icc_profile", b"ANIM": "animation"}
    found: set[str] = set()
    for seg in layout.segments:
        if seg.tag in names:
            found.add(names[seg.tag])  # type: ignore[index]
        elif seg.tag not in (b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANMF"):
            found.add("private_chunk")
    return found


# --- output verification ----------------------------------------------------------------------

_JPEG_ALLOWED = {0xD8, 0xD9, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD, 0xDA, *range(0xD0, 0xD8)}
_PNG_ALLOWED = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}


def leftovers(data: bytes, media_type: str) -> list[str]:
    """Anything in an encoded output other than pixels and the structure needed to decode them."""
    problems: list[str] = []
    try:
        if media_type == "image/jpeg":
            layout = walk_jpeg(data)
            for seg in layout.segments:
                if seg.tag == 0xE0 and seg.payload[:5] == b"JFIF\0" and len(seg.payload) == 14:
                    continue  # bare JFIF header: version and pixel density only
                if seg.tag not in _JPEG_ALLOWED:
                    problems.append(f"JPEG segment 0x{seg.tag:02X}")
        elif media_type == "image/png":
            layout = walk_png(data)
            problems += [f"PNG chunk {seg.tag!r}" for seg in layout.segments if seg.tag not in _PNG_ALLOWED]
        else:
            return [f"unexpected media type {media_type}"]
    except ContainerError as exc:
        return [f"malformed output: {exc}"]
    if layout.trailing(len(data)):
        problems.append("bytes after the end of the image")
    return problems
