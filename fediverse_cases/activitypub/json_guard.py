"""Guarded JSON loading for untrusted request and response bodies. Stdlib only.

``json.loads`` recurses per nesting level and happily builds huge structures, and an
``object_hook`` runs only after a level is parsed, so it cannot bound depth. We therefore check
size first, then scan the text once for bracket depth outside strings, and only then parse.
Duplicate keys are refused: different parsers keep different duplicates, which would let a
document mean one thing to a signature check and another to us.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "JsonDocumentError", "load_json_document"]

DEFAULT_MAX_BYTES = 1_000_000  # an ActivityPub activity is a few kB; 1 MB leaves ample room
DEFAULT_MAX_DEPTH = 32

# A JSON string, written as the "unrolled loop" (runs of plain characters between escapes): the
# same language as ``"(?:[^"\\]|\\.)*"``, without one alternation per character.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonDocumentError(ValueError):
    """The body is too large, too deeply nested, not JSON, or not a JSON object."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonDocumentError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise JsonDocumentError(f"invalid JSON: {name} is not allowed")


def json_depth(text: str) -> int:
    """Maximum bracket nesting of a JSON text, ignoring brackets inside strings."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group(0) in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_json_document(
    body: bytes | str, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> dict[str, Any]:
    """Parse a JSON object from an untrusted body, or raise JsonDocumentError."""
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    if size > max_bytes:
        raise JsonDocumentError(f"document too large: {size} bytes > {max_bytes}")
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JsonDocumentError("invalid JSON: not UTF-8") from None
    else:
        text = body
    # No text with at most max_depth opening brackets (strings included) nests deeper: an
    # activity has a few dozen, so the scan below is for the documents that might.
    if text.count("{") + text.count("[") > max_depth and (depth := json_depth(text)) > max_depth:
        raise JsonDocumentError(f"document nested too deeply: depth {depth} > {max_depth}")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except JsonDocumentError:
        raise
    except (ValueError, RecursionError) as exc:
        raise JsonDocumentError(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise JsonDocumentError("document is not a JSON object")
    return data
