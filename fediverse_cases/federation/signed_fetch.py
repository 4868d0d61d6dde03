"""Signed GETs of local documents: who signed (if anyone), refusing hosts that are not allowed,
and recording which peer — and which of its actors — fetched an object.

A GET without a signature, or with one that does not verify, is anonymous (None). A signature
whose keyId names a host that is not allowed raises ``NotAllowed`` before any key fetch: the
caller answers 403, as FEDERATION.md promises (an anonymous answer would let a refused server
read members-only documents by simply not signing, and hide that it was refused). A withdrawal
later sends Delete to the inbox named by each recorded signer's own actor document.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from quart import request
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.crypto.http_signatures import SignatureError, parse_signature_key_id
from fediverse_cases.federation.signers import (
    NotAllowed,
    check_signer_allowed,
    parse_request_signature,
    verify_with_rotation,
)
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.repositories.object_fetches import record_object_fetch

log = logging.getLogger(__name__)

__all__ = ["FetchSigner", "NotAllowed", "note_signed_fetch", "refuse_unallowed_signer", "verified_get_signer"]


@dataclass(frozen=True)
class FetchSigner:
    host: str
    actor_id: int


def request_url(state: FederationState) -> str:
    """The URL this request was addressed to, as the signer saw it (our public base URL)."""
    query = request.query_string.decode("latin-1")
    return f"{state.settings.instance.base_url}{request.path}" + (f"?{query}" if query else "")


def _is_signed() -> bool:
    return "signature" in request.headers or "signature-input" in request.headers


async def refuse_unallowed_signer(state: FederationState) -> None:
    """Raise NotAllowed when the request is signed by a key on a host we do not allow."""
    if not _is_signed():
        return
    key_id = parse_signature_key_id(dict(request.headers))
    if key_id is None:
        return  # malformed: treated as anonymous by the full check
    await check_signer_allowed(state, key_id)


async def verified_get_signer(db: AsyncSession, state: FederationState) -> FetchSigner | None:
    """Who validly signed the current GET, or None; raises NotAllowed for a refused host."""
    if not _is_signed():
        return None
    await refuse_unallowed_signer(state)
    try:
        parsed = parse_request_signature(state, "GET", request_url(state), dict(request.headers), None)
        host = await check_signer_allowed(state, parsed.key_id, db)
        key = await verify_with_rotation(db, state, parsed)
    except SignatureError as error:
        log.info("signed GET %s not accepted: %s", request.path, error)
        return None
    return FetchSigner(host, key.actor_id)


async def note_signed_fetch(db: AsyncSession, state: FederationState, object_id: str) -> FetchSigner | None:
    """Verify the current GET's signature; when valid, record (object, host, signer) and return it."""
    signer = await verified_get_signer(db, state)
    if signer is not None:
        # The caller's transaction commits it (the object endpoints use state.transaction()).
        await record_object_fetch(db, object_id, signer.host, signer.actor_id, utcnow())
    return signer
