"""Counting what peers sent that we did not keep. Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import PeerDrop
from fediverse_cases.storage.repositories.dialect import dialect_insert


async def count_drop(session: AsyncSession, host: str, reason: str, activity_id: str, when: datetime) -> None:
    statement = dialect_insert(session, PeerDrop).values(
        peer_host=host, reason=reason[:120], count=1, last_at=when, last_activity_id=activity_id[:2048]
    )
    statement = statement.on_conflict_do_update(
        index_elements=["peer_host", "reason"],
        set_={"count": PeerDrop.count + 1, "last_at": when, "last_activity_id": activity_id[:2048]},
    )
    await session.execute(statement)


async def drops_by_peer(session: AsyncSession) -> dict[str, Sequence[PeerDrop]]:
    rows = await session.execute(select(PeerDrop).order_by(PeerDrop.peer_host, PeerDrop.count.desc()))
    found: dict[str, list[PeerDrop]] = {}
    for drop in rows.scalars():
        found.setdefault(drop.peer_host, []).append(drop)
    return found
