"""Signed GETs of local objects: verify the signature (if any) and record which peer fetched.

The content layer's AS2 object endpoints call :func:`note_signed_fetch`; a withdrawal later sends
Delete to every peer recorded here. A GET without a signature is anonymous (None); a signature
from a host that is not allowed, or one that does not verify, is treated as anonymous too.
"""

from __future__ import annotations

import logging

from quart import request
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.crypto.http_signatures import SignatureError
from fediverse_cases.federation.signers import (
    NotAllowed,
    check_signer_allowed,
    parse_request_signature,
    verify_with_rotation,
)
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.repositories import object_fetches as object_fetches_repo

log = logging.getLogger(__name__)


def request_url(state: FederationState) -> str:
    """The URL this request was addressed to, as the signer saw it (our public base URL)."""
    query = request.query_string.decode("latin-1")
    return f"{state.settings.instance.base_url}{request.path}" + (f"?{query}" if query else "")


async def verified_get_signer(db: AsyncSession, state: FederationState) -> str | None:
    """The allowed peer host that validly signed the current GET request, or None."""
    headers = dict(request.headers)
    if not any(k.lower() in ("signature", "signature-input") for k in headers):
        return None
    try:
        parsed = parse_request_signature(state, "GET", request_url(state), headers, None)
        host = await check_signer_allowed(state, parsed, db)
        await verify_with_rotation(db, state, parsed)
    except (SignatureError, NotAllowed) as error:
        log.info("signed GET %s not accepted: %s", request.path, error)
        return None
    return host


async def note_signed_fetch(db: AsyncSession, state: FederationState, object_id: str) -> str | None:
    """Verify the current GET's signature; when valid, record (object, peer host) and return the host."""
    host = await verified_get_signer(db, state)
    if host is not None:
        # The caller's transaction commits it (the object endpoints use state.transaction()).
        await object_fetches_repo.record_object_fetch(db, object_id, host, utcnow())
    return host
