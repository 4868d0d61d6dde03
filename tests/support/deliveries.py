"""Queueing a Create by the local professional ``drlee`` for some inboxes, as the outbox does,
for tests of the delivery worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.federation.outbox import enqueue
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username


async def enqueue_create(db: AsyncSession, state: Any, inboxes: list[str]) -> None:
    """One delivery row per inbox, in the caller's transaction."""
    actor = await get_local_actor_by_username(db, "drlee")
    assert actor is not None
    activity = {
        "id": "http://x/activities/1",
        "type": "Create",
        "actor": actor.uri,
        "object": "http://x/cases/1",
    }
    await enqueue(db, state, activity=activity, sender=actor, inboxes=inboxes, object_id="http://x/cases/1")
