"""The inbox worker: claim accepted inbox items and dispatch each to its handler.

Each item is processed in its own transaction together with its state change, so a crash
re-runs it (handlers are idempotent by activity/object id). Items that name IRIs to refetch
(forwarded without the author's proof, or an embedded object from another host) have those
documents fetched from their origin first and used instead of the delivered copies.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import id_of
from fediverse_cases.federation.dereference import FetchError, fetch_document, get_or_fetch_actor
from fediverse_cases.federation.handlers.context import Dropped, Ignored, InboxContext
from fediverse_cases.federation.handlers.dispatch import dispatch
from fediverse_cases.federation.retry import next_attempt
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import InboxItem
from fediverse_cases.storage.repositories import inbox_items as inbox_items_repo
from fediverse_cases.storage.repositories import peer_drops as peer_drops_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=120)
# A handler failure is usually a peer we must fetch from being briefly unreachable: retry over
# minutes, not the days a delivery gets.
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=10)
GIVE_UP_AFTER = timedelta(hours=1)


def _owner(document: dict[str, Any]) -> str | None:
    return id_of(document.get("attributedTo")) or id_of(document.get("actor"))


async def _apply_refetch(state: FederationState, item: InboxItem, activity: dict[str, Any]) -> dict[str, Any]:
    for iri in item.refetch.split():
        document = await fetch_document(state, iri)
        if iri == activity.get("id"):
            activity = document
        elif iri == id_of(activity.get("object")):
            if _owner(document) != id_of(activity.get("actor")):
                raise Ignored("the refetched object is not the actor's")
            activity = {**activity, "object": document}
    return activity


async def _refresh_actor(state: FederationState, activity: dict[str, Any]) -> None:
    """Fetch (or refresh, when stale) the activity's actor in its own short transaction, before
    the item's own transaction opens: a handler that then refuses the activity rolls back its
    work, but not what we learnt about the actor (a revoked claim stays learnt)."""
    actor_iri = id_of(activity.get("actor"))
    if not actor_iri:
        return
    try:
        async with state.transaction() as db:
            await get_or_fetch_actor(db, state, actor_iri)
    except FetchError as error:
        log.info("could not refresh %s before processing: %s", actor_iri, error)


async def _process(state: FederationState, item: InboxItem) -> str:
    activity = json.loads(item.payload)
    if item.refetch:
        activity = await _apply_refetch(state, item, activity)
    await _refresh_actor(state, activity)
    async with state.transaction() as db:
        signer = (
            await remote_actors_repo.get_actor(db, item.signer_actor_id) if item.signer_actor_id else None
        )
        if signer is None:
            outcome = "ignored"
        else:
            ctx = InboxContext(db=db, state=state, signer=signer, activity=activity, forwarded=item.forwarded)
            # Ignored propagates: this transaction rolls back and run_once records "ignored".
            outcome = "done" if await dispatch(ctx) else "ignored"
        await inbox_items_repo.finish_inbox_item(
            db, item.id, state=outcome, processed_at=utcnow(), locked_until=None
        )
    return outcome


async def _count_drop(db: AsyncSession, item: InboxItem, dropped: Dropped) -> None:
    signer = await remote_actors_repo.get_actor(db, item.signer_actor_id) if item.signer_actor_id else None
    if signer is not None:
        await peer_drops_repo.count_drop(db, signer.host, dropped.reason, item.activity_id, utcnow())


async def run_once(state: FederationState, *, limit: int = 100, lease: timedelta = DEFAULT_LEASE) -> int:
    """Process the inbox items due now; return how many were processed."""
    now = utcnow()
    async with state.transaction() as db:
        items = list(
            await inbox_items_repo.claim_inbox_items(db, now=now, lease_until=now + lease, limit=limit)
        )
    for item in items:
        try:
            await _process(state, item)
        except Ignored as reason:
            log.info("inbox item %s not kept: %s", item.activity_id, reason)
            async with state.transaction() as db:
                if isinstance(reason, Dropped):
                    await _count_drop(db, item, reason)
                await inbox_items_repo.finish_inbox_item(
                    db,
                    item.id,
                    state="ignored",
                    last_error=str(reason)[:1000],
                    processed_at=utcnow(),
                    locked_until=None,
                )
        except Exception as error:  # any handler failure is retried, then recorded
            if not isinstance(error, FetchError):
                log.exception("inbox item %s failed", item.activity_id)
            attempts = item.attempts + 1
            now = utcnow()
            decision = next_attempt(
                attempts,
                None,
                None,
                now,
                item.received_at or now,
                give_up_after=GIVE_UP_AFTER,
                max_attempts=MAX_ATTEMPTS,
                base_delay=RETRY_BASE,
            )
            final = decision.final
            async with state.transaction() as db:
                await inbox_items_repo.finish_inbox_item(
                    db,
                    item.id,
                    attempts=attempts,
                    state="failed" if final else "pending",
                    last_error=f"{type(error).__name__}: {error}"[:1000],
                    next_attempt_at=decision.next_attempt_at or now,
                    locked_until=None,
                    processed_at=now if final else None,
                )
    return len(items)
