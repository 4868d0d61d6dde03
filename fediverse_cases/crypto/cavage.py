"""draft-cavage-http-signatures-12, as the fediverse uses it (Mastodon, GoToSocial, Pleroma).

Signing: ``rsa-sha256`` over ``(request-target) host date digest`` (POST) or
``(request-target) host date`` (GET). Parsing accepts ``rsa-sha256`` and ``hs2019`` (algorithm
taken from the key), the ``Signature`` header or ``Authorization: Signature ...``, and checks
what an inbox must insist on before any key fetch. Stdlib and ``cryptography`` only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from fediverse_cases.crypto.digest import build_digest
from fediverse_cases.crypto.keys import load_private_key
from fediverse_cases.crypto.signature_common import (
    BODY_METHODS,
    MAX_SIGNATURE_AGE,
    MAX_SIGNATURE_FUTURE,
    Algorithm,
    ParsedSignature,
    SignatureError,
    authority_of,
    check_signed_body_digest,
    check_window,
    http_date,
    lower_headers,
    parse_http_date,
    raw_sign,
    url_variants,
)

__all__ = ["parse_cavage", "sign_request_cavage"]

# Quoted values as the "unrolled loop" (runs of plain characters between escapes), not one
# alternation per character: a signature value is hundreds of characters.
_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^,\s"]*))\s*(?:,|$)')
_ESCAPED = re.compile(r"\\(.)")

_ALGORITHMS: dict[str, Algorithm] = {
    "rsa-sha256": "rsa-v1_5-sha256",
    "hs2019": "from-key",
    "ed25519": "ed25519",
}


def _request_target(method: str, url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"{method.lower()} {target}"


def _signing_string(
    covered: list[str], method: str, url: str, headers: dict[str, str], params: dict[str, str]
) -> bytes:
    lines = []
    for name in covered:
        if name == "(request-target)":
            value = _request_target(method, url)
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1], "")
        else:
            if name not in headers:
                raise SignatureError(f"missing header {name}")
            value = headers[name]
        lines.append(f"{name}: {value}")
    return "\n".join(lines).encode("utf-8")


def sign_request_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_pem: str,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Headers to add to the request: ``Date``, ``Host``, ``Digest`` (bodies) and ``Signature``.

    Every header the signature covers is returned with the exact value signed, so merging the
    result into the request is always safe.
    """
    lower = lower_headers(headers)
    method = method.upper()
    out = {"Date": lower.get("date") or http_date(now), "Host": lower.get("host") or authority_of(url)}
    signed = {"date": out["Date"], "host": out["Host"]}
    covered = ["(request-target)", "host", "date"]
    if body is not None or method in BODY_METHODS:
        out["Digest"] = signed["digest"] = build_digest(body or b"")
        covered.append("digest")
    # RSA keys announce "rsa-sha256" (what every server verifies); Ed25519 keys use "hs2019".
    is_rsa = isinstance(load_private_key(private_pem), rsa.RSAPrivateKey)
    algorithm_name = "rsa-sha256" if is_rsa else "hs2019"
    algorithm: Algorithm = "rsa-v1_5-sha256" if is_rsa else "ed25519"
    signature = raw_sign(private_pem, algorithm, _signing_string(covered, method, url, signed, {}))
    out["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm_name}",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return out


def _parse_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    value = value.strip()
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if not match or match.end() == pos:
            raise SignatureError("malformed Signature header")
        quoted, bare = match.group(2), match.group(3)
        if quoted is None:
            params[match.group(1)] = bare
        else:
            params[match.group(1)] = _ESCAPED.sub(r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
    return params


def _unix(value: str, what: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value.split(".", 1)[0]), UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError(f"malformed {what} parameter") from None


def parse_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: datetime | None = None,
    max_age: timedelta = MAX_SIGNATURE_AGE,
    max_future: timedelta = MAX_SIGNATURE_FUTURE,
) -> ParsedSignature:
    lower = lower_headers(headers)
    method = method.upper()
    raw = lower.get("signature")
    if raw is None:
        auth = lower.get("authorization", "")
        if auth[:10].lower() == "signature ":
            raw = auth[10:]
    if not raw:
        raise SignatureError("missing Signature header")
    params = _parse_params(raw)
    key_id = params.get("keyId")
    if not key_id:
        raise SignatureError("missing keyId")
    if "signature" not in params:
        raise SignatureError("missing signature parameter")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("malformed signature parameter (not base64)") from None
    algorithm_name = params.get("algorithm", "hs2019").lower()
    if algorithm_name not in _ALGORITHMS:
        raise SignatureError(f"unsupported algorithm {algorithm_name}")
    # The draft's default covered list is just "date", which proves nothing about the request.
    covered = params.get("headers", "date").lower().split()
    if "(request-target)" not in covered:
        raise SignatureError("request-target not signed")
    if "host" not in covered:
        raise SignatureError("host header not signed")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("date not signed")

    if method in BODY_METHODS or body:
        check_signed_body_digest(covered, lower, body, ("digest", "content-digest"))

    created: datetime | None = None
    if "(created)" in covered:
        if "created" not in params:
            raise SignatureError("missing created parameter")
        created = _unix(params["created"], "created")
        check_window(created, now, max_age, max_future)
    if "date" in covered:
        if "date" not in lower:
            raise SignatureError("missing header date")
        date = parse_http_date(lower["date"])
        check_window(date, now, max_age, max_future)
        created = created or date
    assert created is not None
    expires = _unix(params["expires"], "expires") if "expires" in params else None
    if expires is not None and expires < (now or datetime.now(UTC)):
        raise SignatureError("signature expired")

    bases = tuple(_signing_string(covered, method, u, lower, params) for u in url_variants(url))
    return ParsedSignature(
        scheme="cavage",
        key_id=key_id,
        algorithm=_ALGORITHMS[algorithm_name],
        covered=tuple(covered),
        created=created,
        expires=expires,
        signature=signature,
        signing_bases=bases,
    )
