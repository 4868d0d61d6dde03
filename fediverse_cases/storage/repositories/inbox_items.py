"""The inbound queue: accepted activities (deduplicated), claimed by inbox workers.
Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    InboxItem,
)
from fediverse_cases.storage.repositories.dialect import dialect_insert
from fediverse_cases.storage.repositories.work_queue import claim_due


async def add_inbox_item(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert unless an item with the same activity id exists; True when inserted."""
    return bool(await add_inbox_items(session, [values]))


async def add_inbox_items(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert many (distinct activity ids); return the activity ids actually inserted
    (the others already existed)."""
    if not rows:
        return set()
    # executemany with RETURNING ("insertmanyvalues"): one cached statement whatever the batch size.
    statement = (
        dialect_insert(session, InboxItem)
        .on_conflict_do_nothing(index_elements=["activity_id"])
        .returning(InboxItem.activity_id)
    )
    return set((await session.execute(statement, rows)).scalars().all())


async def claim_inbox_items(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[InboxItem]:
    return await claim_due(
        session, InboxItem, now=now, lease_until=lease_until, limit=limit, order_by=(InboxItem.id,)
    )


async def finish_inbox_item(session: AsyncSession, item_id: int, **values: Any) -> None:
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id == item_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def inbox_state_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(InboxItem.state, func.count(InboxItem.id)).group_by(InboxItem.state))
    return {state: int(count) for state, count in rows.all()}
