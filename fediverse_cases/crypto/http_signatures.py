"""HTTP signatures facade: sign with either scheme; verify in two steps.

    parsed = parse_signature(method, url, headers, body)   # structure, digest, clock window
    ... check the allow-list for host_of(parsed.key_id), then fetch the key ...
    verify_parsed(parsed, public_pem)                       # the cryptographic check

Splitting the two lets the inbox refuse a non-allowed or malformed request before it fetches any
key (GoToSocial's allowlist order). RFC 9421 is chosen when ``Signature-Input`` is present,
draft-cavage otherwise. Clock window: 1 hour past, 5 minutes future (see signature_common).
Stdlib and ``cryptography`` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from fediverse_cases.crypto.cavage import parse_cavage, sign_request_cavage
from fediverse_cases.crypto.rfc9421 import parse_rfc9421, sign_request_rfc9421
from fediverse_cases.crypto.signature_common import (
    MAX_SIGNATURE_AGE,
    MAX_SIGNATURE_FUTURE,
    ParsedSignature,
    SignatureError,
    check_window,
    raw_verify,
)

__all__ = [
    "MAX_SIGNATURE_AGE",
    "MAX_SIGNATURE_FUTURE",
    "ParsedSignature",
    "SignatureError",
    "parse_signature",
    "parse_signature_key_id",
    "sign_request_cavage",
    "sign_request_rfc9421",
    "verify_parsed",
    "verify_request",
]


_KEY_ID = re.compile(r'(?:^|[,;\s])key[iI]d="([^"]{1,2048})"')


def parse_signature_key_id(headers: Mapping[str, str]) -> str | None:
    """Only the keyId (cavage ``Signature``) or ``keyid`` (RFC 9421 ``Signature-Input``) of a
    request, without checking anything else: enough to refuse a host before any other work."""
    lower = {k.lower(): v for k, v in headers.items()}
    header = lower.get("signature-input") or lower.get("signature") or ""
    match = _KEY_ID.search(header)
    return match.group(1) if match else None


def parse_signature(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: datetime | None = None,
    max_age: timedelta = MAX_SIGNATURE_AGE,
    max_future: timedelta = MAX_SIGNATURE_FUTURE,
) -> ParsedSignature:
    """Parse and structurally check a request signature; raise SignatureError.

    ``url`` is the full URL the request was addressed to (scheme, host, path and query).
    On POST/PUT/PATCH the body digest must be covered and match; host and date/created must be
    covered; the signed time must lie inside the clock window.
    """
    if any(k.lower() == "signature-input" for k in headers):
        return parse_rfc9421(method, url, headers, body, now=now, max_age=max_age, max_future=max_future)
    return parse_cavage(method, url, headers, body, now=now, max_age=max_age, max_future=max_future)


def verify_parsed(
    parsed: ParsedSignature,
    public_pem: str,
    *,
    now: datetime | None = None,
    max_skew: timedelta | None = None,
    max_future: timedelta = MAX_SIGNATURE_FUTURE,
) -> None:
    """Verify the signature with the signer's public key (PEM); raise SignatureError.

    The clock window is checked again (a key fetch may have taken time); ``max_skew`` is the
    allowed age into the past (default 1 hour).
    """
    check_window(parsed.created, now, max_skew or MAX_SIGNATURE_AGE, max_future)
    raw_verify(public_pem, parsed.algorithm, parsed.signature, parsed.signing_bases)


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    public_pem: str,
    *,
    now: datetime | None = None,
) -> ParsedSignature:
    """One-shot parse + verify, for tests and callers that already hold the key."""
    parsed = parse_signature(method, url, headers, body, now=now)
    verify_parsed(parsed, public_pem, now=now)
    return parsed
