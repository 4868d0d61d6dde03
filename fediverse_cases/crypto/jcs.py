"""RFC 8785 JSON Canonicalization Scheme (JCS), the canonical form eddsa-jcs-2022 signs.

Object members sorted by their UTF-16 code units, no insignificant whitespace, strings with the
minimal JSON escapes, numbers serialised as ECMAScript's Number.prototype.toString does (so a
Python signer and a JavaScript verifier such as Fedify agree byte for byte). Stdlib only.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["JcsError", "canonicalize", "canonicalize_str", "serialize_number"]

# ECMAScript numbers are IEEE doubles: integers beyond 2**53 are not exactly representable.
_MAX_SAFE_INT = 2**53


class JcsError(ValueError):
    """A value cannot be canonicalised (NaN, infinity, non-JSON type, lone surrogate)."""


def serialize_number(value: int | float) -> str:
    """ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3)."""
    if isinstance(value, bool):
        raise JcsError("bool is not a number")
    if isinstance(value, int):
        if -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
            return str(value)
        value = float(value)  # what a JavaScript peer would parse it into
    if not math.isfinite(value):
        raise JcsError("NaN and Infinity are not valid JSON numbers")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    # repr() gives the shortest round-tripping digits, which is what ECMAScript requires too;
    # only the layout differs, so take the digits and decimal exponent and re-lay them out.
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    exp = int(exp_text or 0)
    if int_part.strip("0"):
        digits = (int_part + frac_part).rstrip("0")
        n = len(int_part) + exp
    else:
        stripped = frac_part.lstrip("0")
        digits = stripped.rstrip("0")
        n = exp - (len(frac_part) - len(stripped))
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    exponent = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return f"{sign}{digits}e{exponent}"
    return f"{sign}{digits[0]}.{digits[1:]}e{exponent}"


def _string(value: str) -> str:
    # json.dumps with ensure_ascii=False escapes exactly what RFC 8785 requires (", \, and
    # U+0000..U+001F with \b \t \n \f \r short forms and lower-case \u00xx otherwise).
    return json.dumps(value, ensure_ascii=False)


def _sort_key(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare in the same order as UTF-16 code units.
    return key.encode("utf-16-be", "surrogatepass")


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int | float):
        out.append(serialize_number(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise JcsError("object keys must be strings")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_sort_key)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    else:
        raise JcsError(f"cannot canonicalize {type(value).__name__}")


def _plain(value: Any) -> bool:
    """True when ``json.dumps(sort_keys=True)`` already gives the JCS form: no floats, no
    integers beyond 2**53, string keys without astral characters (code-point order and UTF-16
    order then agree)."""
    if isinstance(value, str) or value is None or value is True or value is False:
        return True
    if isinstance(value, int):
        return -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and (k.isascii() or max(k) <= "\uffff") and _plain(v) for k, v in value.items()
        )
    return False


def canonicalize_str(value: Any) -> str:
    if _plain(value):
        # Fast path (the common ActivityPub document): the C JSON encoder, same bytes as _write.
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    out: list[str] = []
    _write(value, out)
    return "".join(out)


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        return canonicalize_str(value).encode("utf-8")
    except UnicodeEncodeError:
        raise JcsError("lone surrogate in string") from None
