"""Counts for operators (``/metrics`` and ``fediverse-cases doctor``): work waiting per peer and
per state. Grouped counts only, so a scrape costs a few index scans however large the tables."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Case, Delivery, InboxItem


async def pending_deliveries_by_peer(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.peer_host, func.count())
        .where(Delivery.state == "pending")
        .group_by(Delivery.peer_host)
    )
    return {host: count for host, count in rows.all()}


async def inbox_items_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state))
    return {state: count for state, count in rows.all()}


async def cases_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Case.state, func.count()).where(Case.is_local).group_by(Case.state))
    return {state: count for state, count in rows.all()}
