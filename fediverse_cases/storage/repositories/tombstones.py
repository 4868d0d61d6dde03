"""Tombstones of deleted remote objects, so a replayed Create never brings them back.
Functions take a session first and never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import ContentTombstone


async def is_tombstoned(session: AsyncSession, ap_id: str) -> bool:
    found = await session.execute(select(ContentTombstone.id).where(ContentTombstone.ap_id == ap_id))
    return found.first() is not None


async def remember_tombstone(session: AsyncSession, ap_id: str, former_type: str, origin_host: str) -> None:
    if not await is_tombstoned(session, ap_id):
        session.add(ContentTombstone(ap_id=ap_id, former_type=former_type, origin_host=origin_host))
