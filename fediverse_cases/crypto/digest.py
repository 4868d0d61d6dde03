"""Body digests: RFC 3230 ``Digest`` (what draft-cavage signers send) and RFC 9530
``Content-Digest`` (what RFC 9421 signers such as Fedify send).

Verification accepts either header, SHA-256 and SHA-512; a header that names only algorithms we
do not know fails (an attacker must not be able to skip the check by naming ``md5``), and any
known algorithm that mismatches fails even if another one matches. Stdlib only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

__all__ = [
    "DigestError",
    "build_content_digest",
    "build_digest",
    "check_content_digest",
    "check_digest",
    "verify_content_digest",
    "verify_digest",
]

# Lower-case algorithm names from both registries mapped to hashlib constructors.
_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


class DigestError(ValueError):
    """The digest header is malformed, uses only unknown algorithms, or does not match."""


def build_digest(body: bytes) -> str:
    """``Digest`` header value, e.g. ``SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def build_content_digest(body: bytes) -> str:
    """``Content-Digest`` header value (RFC 9530, a structured-field dictionary of byte sequences)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DigestError("malformed digest value (not base64)") from None


def _check(pairs: list[tuple[str, bytes]], body: bytes) -> None:
    matched = False
    for algorithm, expected in pairs:
        ctor = _ALGORITHMS.get(algorithm)
        if ctor is None:
            continue
        if not hmac.compare_digest(ctor(body).digest(), expected):
            raise DigestError("digest mismatch")
        matched = True
    if not matched:
        raise DigestError("unsupported digest algorithm")


def check_digest(header_value: str, body: bytes) -> None:
    """Check an RFC 3230 ``Digest`` header (``ALG=base64[, ALG=base64]``); raise DigestError."""
    pairs: list[tuple[str, bytes]] = []
    for item in header_value.split(","):
        if not item.strip():
            continue
        algorithm, sep, value = item.strip().partition("=")
        if not sep:
            raise DigestError("malformed Digest header")
        pairs.append((algorithm.strip().lower(), _b64(value)))
    _check(pairs, body)


def check_content_digest(header_value: str, body: bytes) -> None:
    """Check an RFC 9530 ``Content-Digest`` header (``alg=:base64:[, ...]``); raise DigestError."""
    pairs: list[tuple[str, bytes]] = []
    for item in header_value.split(","):
        if not item.strip():
            continue
        algorithm, sep, value = item.strip().partition("=")
        value = value.split(";", 1)[0].strip()  # structured fields allow parameters; ignore them
        if not sep or len(value) < 2 or not (value.startswith(":") and value.endswith(":")):
            raise DigestError("malformed Content-Digest header")
        pairs.append((algorithm.strip().lower(), _b64(value[1:-1])))
    _check(pairs, body)


def verify_digest(header_value: str, body: bytes) -> bool:
    try:
        check_digest(header_value, body)
    except DigestError:
        return False
    return True


def verify_content_digest(header_value: str, body: bytes) -> bool:
    try:
        check_content_digest(header_value, body)
    except DigestError:
        return False
    return True
