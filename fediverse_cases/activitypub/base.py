"""Shared plumbing for the vocabulary classes: errors and tolerant readers for AS2 JSON.

AS2 lets most properties be a single value or an array, an IRI or an embedded object; these
helpers turn that into one predictable shape, and raise InvalidDocument for what we cannot
accept. Stdlib only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fediverse_cases.activitypub.constants import FEDIVERSE_CASES_NS, ext, normalize_public

__all__ = [
    "InvalidDocument",
    "UnsupportedType",
    "VocabularyError",
    "drop_none",
    "ext_value",
    "get_type",
    "id_of",
    "iri_list",
    "opt_bool",
    "opt_int",
    "opt_iri",
    "opt_str",
    "req_iri",
]


class VocabularyError(ValueError):
    """A document cannot be represented in our vocabulary."""


class UnsupportedType(VocabularyError):
    """The document's ``type`` is not one we understand; never store it half-understood."""

    def __init__(self, type_name: object, where: str = "") -> None:
        self.type_name = type_name
        super().__init__(f"unsupported type {type_name!r}" + (f" in {where}" if where else ""))


class InvalidDocument(VocabularyError):
    """A required property is missing or has the wrong shape."""


def get_type(data: Any, known: object = None) -> str:
    """The document's type; for a type array, the first entry found in ``known`` (or the first)."""
    if not isinstance(data, dict):
        raise InvalidDocument("expected a JSON object")
    value = data.get("type")
    if isinstance(value, list):
        strings = [v for v in value if isinstance(v, str)]
        if known is not None:
            for v in strings:
                if v in known:  # type: ignore[operator]
                    return v
        value = strings[0] if strings else None
    if not isinstance(value, str) or not value:
        raise InvalidDocument("missing type")
    return value


def _is_iri(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def id_of(value: Any) -> str | None:
    """The IRI of a reference: a string, or an embedded object's ``id``, or a Link's ``href``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("id", "href"):
            if isinstance(value.get(key), str):
                return value[key]
    return None


def req_iri(data: dict[str, Any], key: str) -> str:
    value = id_of(data.get(key))
    if value is None or not _is_iri(value):
        raise InvalidDocument(f"missing or invalid {key}")
    return value


def opt_iri(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    iri = id_of(value)
    if iri is None or not _is_iri(iri):
        raise InvalidDocument(f"invalid {key}")
    return iri


def iri_list(data: dict[str, Any], key: str) -> tuple[str, ...]:
    """Addressing-style property as a tuple of IRIs; Public short forms normalised."""
    value = data.get(key)
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        iri = id_of(item)
        if iri is None:
            raise InvalidDocument(f"invalid entry in {key}")
        iri = normalize_public(iri)
        if iri not in out:
            out.append(iri)
    return tuple(out)


def opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidDocument(f"{key} must be a string")
    return value


def opt_bool(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidDocument(f"{key} must be a boolean")
    return value


def opt_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise InvalidDocument(f"{key} must be an integer")
    return int(value)


def ext_value(data: dict[str, Any], term: str) -> Any:
    """An extension property in compact (``fediverseCases:x``) or expanded (full IRI) form."""
    if ext(term) in data:
        return data[ext(term)]
    return data.get(FEDIVERSE_CASES_NS + term)


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    """Omit unset optional properties and empty lists from emitted JSON."""
    return {k: v for k, v in data.items() if v is not None and v != [] and v != ()}
