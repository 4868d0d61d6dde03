"""What both HTTP signature schemes share: the parsed-signature type, the error type, the clock
window, header lookup, URL pieces, and the raw sign/verify primitive over candidate bases.

Clock window (documented in FEDERATION.md): a signed timestamp (``Date``, ``(created)`` or the
RFC 9421 ``created`` parameter) may be at most ``MAX_SIGNATURE_AGE`` = 1 hour in the past (Mastodon
allows about 1 h: peers queue and retry, and clocks drift) and at most ``MAX_SIGNATURE_FUTURE`` = 5
minutes in the future. Anything outside is rejected as "date outside window". Stdlib and
``cryptography`` only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from fediverse_cases.crypto.digest import DigestError, check_content_digest, check_digest
from fediverse_cases.crypto.keys import KeyFormatError, load_private_key, load_public_key

__all__ = [
    "BODY_METHODS",
    "MAX_SIGNATURE_AGE",
    "MAX_SIGNATURE_FUTURE",
    "ParsedSignature",
    "SignatureError",
    "authority_of",
    "check_window",
    "http_date",
    "lower_headers",
    "parse_http_date",
    "raw_sign",
    "raw_verify",
    "url_variants",
]

MAX_SIGNATURE_AGE = timedelta(hours=1)
MAX_SIGNATURE_FUTURE = timedelta(minutes=5)

# Methods whose body must be covered by a digest even when the body is empty.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# Canonical algorithm names; cavage "rsa-sha256"/"hs2019" and RFC 9421 "rsa-v1_5-sha256" all mean
# RSASSA-PKCS1-v1_5 with SHA-256 when the key is RSA (hs2019 takes the algorithm from the key,
# and every fediverse server uses PKCS#1 v1.5 / SHA-256 for RSA keys).
Algorithm = Literal["rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519", "from-key"]


class SignatureError(ValueError):
    """A request signature is missing, malformed, insufficient, stale, or does not verify."""


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """A structurally valid signature, ready for a key lookup and :func:`verify_parsed`.

    ``signing_bases`` holds the candidate byte strings that were signed (with and without the
    query string); the signature is valid when it verifies any of them.
    """

    scheme: Literal["cavage", "rfc9421"]
    key_id: str
    algorithm: Algorithm
    covered: tuple[str, ...]
    created: datetime
    expires: datetime | None
    signature: bytes
    signing_bases: tuple[bytes, ...]
    label: str | None = None


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Case-insensitive view; header names arrive in any case (HTTP/2 lower-cases them)."""
    return {k.lower(): v.strip() for k, v in headers.items()}


def http_date(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return format_datetime(moment, usegmt=True)


def parse_http_date(value: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise SignatureError("malformed Date header") from None
    if parsed is None:
        raise SignatureError("malformed Date header")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def authority_of(url: str) -> str:
    """``host[:port]`` as a client puts it in ``Host``: lower-case, default port dropped."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is None or (parts.scheme, port) in {("http", 80), ("https", 443)}:
        return host
    return f"{host}:{port}"


def url_variants(url: str) -> list[str]:
    """The URL as given, then without its query string (Mastodon and GoToSocial try both)."""
    parts = urlsplit(url)
    variants = [url]
    if parts.query:
        variants.append(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")))
    return variants


DIGEST_CHECKS = {"digest": check_digest, "content-digest": check_content_digest}
DIGEST_HEADER_NAMES = {"digest": "Digest", "content-digest": "Content-Digest"}


def check_signed_body_digest(
    covered: Collection[str], lower: Mapping[str, str], body: bytes | None, preference: tuple[str, str]
) -> None:
    """A body must be bound to the signature: the first covered digest header in ``preference``
    must be present and match the body (both schemes accept either header)."""
    for name in preference:
        if name in covered:
            if name not in lower:
                raise SignatureError(f"missing {DIGEST_HEADER_NAMES[name]} header")
            try:
                DIGEST_CHECKS[name](lower[name], body or b"")
            except DigestError as exc:
                raise SignatureError(str(exc)) from exc
            return
    raise SignatureError("digest not covered")


def check_window(
    moment: datetime,
    now: datetime | None,
    max_age: timedelta = MAX_SIGNATURE_AGE,
    max_future: timedelta = MAX_SIGNATURE_FUTURE,
) -> None:
    now = now or datetime.now(UTC)
    if moment < now - max_age:
        raise SignatureError(f"date outside window: {int((now - moment).total_seconds())} s in the past")
    if moment > now + max_future:
        raise SignatureError(f"date outside window: {int((moment - now).total_seconds())} s in the future")


def raw_sign(private_pem: str, algorithm: Algorithm, data: bytes) -> bytes:
    key = load_private_key(private_pem)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if algorithm == "rsa-pss-sha512":
        return key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64), hashes.SHA512())
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def raw_verify(public_pem: str, algorithm: Algorithm, signature: bytes, bases: tuple[bytes, ...]) -> None:
    """Raise SignatureError unless ``signature`` verifies one of ``bases`` with the key."""
    try:
        key = load_public_key(public_pem)
    except KeyFormatError as exc:
        raise SignatureError(f"unusable public key: {exc}") from exc
    # The declared algorithm must fit the key: never let a peer pick a weaker interpretation.
    if isinstance(key, ed25519.Ed25519PublicKey):
        if algorithm not in ("ed25519", "from-key"):
            raise SignatureError("algorithm does not match key type")
    elif isinstance(key, rsa.RSAPublicKey):
        if algorithm == "ed25519":
            raise SignatureError("algorithm does not match key type")
        if key.key_size < 2048:
            raise SignatureError("RSA key too small")
    for base in bases:
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, base)
            elif algorithm == "rsa-pss-sha512":
                key.verify(
                    signature,
                    base,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
                    hashes.SHA512(),
                )
            else:
                key.verify(signature, base, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return
    raise SignatureError("signature does not verify")
