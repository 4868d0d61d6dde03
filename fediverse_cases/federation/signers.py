"""Verifying who signed a request: the two-step HTTP signature check with the allow-list first.

    parse_signature (structure, covered headers, digest, clock window)
    -> the keyId's host must be allowed (403 before any key fetch)
    -> key lookup: memory cache, database, then a fetch of the owner's actor document
    -> verify; on failure refetch the key once (rotation) and verify again.

Parsed public keys are cached per process by keyId (``state.signer_keys``), so a busy inbox verifies
without a database round trip; a refetch replaces the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.crypto.http_signatures import (
    ParsedSignature,
    SignatureError,
    parse_signature,
    verify_parsed,
)
from fediverse_cases.crypto.keys import KeyFormatError, ed25519_public_from_multibase
from fediverse_cases.federation.dereference import FetchError, get_or_fetch_actor
from fediverse_cases.federation.origin import actor_iri_from_key_id
from fediverse_cases.federation.signer_keys import SignerKey
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo


class NotAllowed(Exception):
    """The signer's host is not an allowed peer (HTTP 403)."""


def _pem_for(actor, key_id: str) -> str | None:  # type: ignore[no-untyped-def]
    if key_id == actor.public_key_id and actor.public_key_pem:
        return actor.public_key_pem  # type: ignore[no-any-return]
    if key_id == actor.ed25519_key_id and actor.ed25519_public_multibase:
        try:
            key = ed25519_public_from_multibase(actor.ed25519_public_multibase)
        except KeyFormatError:
            return None
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
    return None


async def lookup_key(
    db: AsyncSession, state: FederationState, key_id: str, *, refresh: bool = False
) -> SignerKey:
    cache = state.signer_keys
    if not refresh and key_id in cache:
        return cache[key_id]
    actor = None if refresh else await remote_actors_repo.get_actor_by_key_id(db, key_id)
    if actor is None or refresh:
        owner = actor.uri if actor is not None else actor_iri_from_key_id(key_id)
        try:
            actor = await get_or_fetch_actor(db, state, owner, refresh=True)
        except FetchError as error:
            raise SignatureError(f"cannot fetch the signing key: {error}") from error
    pem = _pem_for(actor, key_id)
    if pem is None:
        raise SignatureError("the key's actor does not list this key")
    entry = SignerKey(key_id, actor.id, actor.uri, pem, actor.ed25519_key_id, actor.ed25519_public_multibase)
    cache[key_id] = entry
    return entry


def parse_request_signature(
    state: FederationState, method: str, url: str, headers: Mapping[str, str], body: bytes | None
) -> ParsedSignature:
    """Step one (no I/O): raise SignatureError for a missing/malformed/stale signature."""
    lower = {k.lower(): v for k, v in headers.items()}
    if "signature" not in lower and "signature-input" not in lower:
        raise SignatureError("request is not signed")
    parsed = parse_signature(
        method,
        url,
        headers,
        body,
        max_age=timedelta(seconds=state.settings.federation.signature_max_skew_seconds),
    )
    host = lower.get("host", "").strip().lower()
    if host and host != state.settings.instance.host:
        raise SignatureError("signed Host header is not this instance")
    return parsed


async def check_signer_allowed(state: FederationState, key_id: str, db: AsyncSession | None = None) -> str:
    """The keyId's host, if allowed; raise NotAllowed (before any key fetch)."""
    try:
        host = host_of(key_id)
    except InvalidHost as error:
        raise NotAllowed(f"keyId is not an http(s) IRI: {key_id}") from error
    allow_list = await state.allow_list.current(db)
    if allow_list.decide(host) != "allowed":
        raise NotAllowed(f"{host} is not an allowed peer")
    return host


async def verify_with_rotation(
    db: AsyncSession, state: FederationState, parsed: ParsedSignature
) -> SignerKey:
    """Step two: verify, refetching the key once when the cached one fails (key rotation)."""
    max_skew = timedelta(seconds=state.settings.federation.signature_max_skew_seconds)
    key = await lookup_key(db, state, parsed.key_id)
    try:
        verify_parsed(parsed, key.public_pem, max_skew=max_skew)
        return key
    except SignatureError:
        pass
    key = await lookup_key(db, state, parsed.key_id, refresh=True)
    verify_parsed(parsed, key.public_pem, max_skew=max_skew)
    return key
