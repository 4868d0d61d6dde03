"""The transactional outbox: one delivery row per distinct allowed inbox, written in the
caller's transaction, so a change and the deliveries it causes commit (or vanish) together.

:func:`enqueue` (one activity to many inboxes), :func:`enqueue_each` (each inbox its own) and
:func:`cancel_pending`; who receives what is ``federation.recipients``. Activities get an FEP-8b32 integrity proof by the sender's Ed25519 key
here (once); the HTTP signature is made by the delivery worker at send time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT
from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.crypto.integrity_proofs import sign_object
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor
from fediverse_cases.storage.repositories import deliveries as deliveries_repo


async def enqueue(
    db: AsyncSession,
    state: FederationState,
    *,
    activity: dict[str, Any],
    sender: Actor,
    inboxes: Iterable[str],
    object_id: str | None = None,
) -> int:
    """Queue ``activity`` for each distinct allowed inbox; return the number of rows written.

    Inboxes on hosts that are not allowed (or on this instance) are dropped silently: the
    allow-list denies in every direction.
    """
    targets = await _allowed(db, state, inboxes)
    if not targets:
        return 0
    payload, document = _signed(activity, sender)
    now = utcnow()
    await deliveries_repo.add_deliveries(
        db, [_row(document, payload, sender, inbox, host, object_id, now) for inbox, host in targets.items()]
    )
    # Woken early; if the worker looks before our commit it simply finds the rows next poll.
    state.wake.delivery.set()
    return len(targets)


async def enqueue_each(
    db: AsyncSession,
    state: FederationState,
    *,
    activities: Iterable[tuple[str, dict[str, Any]]],
    sender: Actor,
    object_id: str | None = None,
) -> int:
    """Queue a different activity for each inbox (``(inbox, activity)`` pairs: a document that
    names only that server's people), written in one batch; same rules as ``enqueue``."""
    pairs = list(activities)
    targets = await _allowed(db, state, (inbox for inbox, _ in pairs))
    rows = []
    now = utcnow()
    for inbox, activity in pairs:
        host = targets.pop(inbox, None)
        if host is None:
            continue  # not allowed, or already queued for this inbox
        payload, document = _signed(activity, sender)
        rows.append(_row(document, payload, sender, inbox, host, object_id, now))
    if rows:
        await deliveries_repo.add_deliveries(db, rows)
        state.wake.delivery.set()
    return len(rows)


async def _allowed(db: AsyncSession, state: FederationState, inboxes: Iterable[str]) -> dict[str, str]:
    """Distinct inboxes on allowed hosts -> their host."""
    allow_list = await state.allow_list.current(db)
    targets: dict[str, str] = {}
    for inbox in inboxes:
        if not inbox or inbox in targets:
            continue
        try:
            host = host_of(inbox)
        except InvalidHost:
            continue
        if allow_list.decide(host) == "allowed":
            targets[inbox] = host
    return targets


def _signed(activity: dict[str, Any], sender: Actor) -> tuple[str, dict[str, Any]]:
    document = activity if "@context" in activity else {"@context": DEFAULT_CONTEXT, **activity}
    if "proof" not in document and sender.ed25519_private_pem and sender.ed25519_key_id:
        # Serialised right below and never changed: no need to copy its nested values.
        document = sign_object(document, sender.ed25519_key_id, sender.ed25519_private_pem, share_nested=True)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False), document


def _row(
    document: dict[str, Any],
    payload: str,
    sender: Actor,
    inbox: str,
    host: str,
    object_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "activity_id": str(document.get("id", "")),
        "activity_type": str(document.get("type", ""))[:40],
        "object_id": object_id,
        "sender_actor_id": sender.id,
        "inbox_url": inbox,
        "peer_host": host,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }


async def cancel_pending(db: AsyncSession, object_id: str) -> int:
    """Cancel queued deliveries about ``object_id`` (a Delete of it is kept); return how many."""
    return await deliveries_repo.cancel_pending_for_object(db, object_id, keep_activity="Delete")
