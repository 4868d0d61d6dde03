"""The outbound delivery queue: one row per (activity, inbox), claimed by workers, and the
reports over it. Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Delivery,
)
from fediverse_cases.storage.repositories.dialect import dialect_insert
from fediverse_cases.storage.repositories.work_queue import claim_due

ACTIVE_STATES = ("pending",)


async def pending_counts_by_peer(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.peer_host, func.count(Delivery.id))
        .where(Delivery.state == "pending")
        .group_by(Delivery.peer_host)
    )
    return {host: int(count) for host, count in rows.all()}


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(dialect_insert(session, Delivery), rows)


async def claim_deliveries(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[Delivery]:
    return await claim_due(
        session,
        Delivery,
        now=now,
        lease_until=lease_until,
        limit=limit,
        order_by=(Delivery.next_attempt_at, Delivery.id),
    )


DELIVERY_RESULT_COLUMNS = (
    "state",
    "attempts",
    "first_attempt_at",
    "last_status",
    "last_error",
    "locked_until",
    "next_attempt_at",
    "done_at",
)


async def save_delivery_results(session: AsyncSession, results: list[dict[str, Any]]) -> None:
    """One executemany UPDATE by primary key; each dict has ``id`` and every column of
    ``DELIVERY_RESULT_COLUMNS``. Only rows still pending change, so a cancellation that happened
    during the send wins."""
    if not results:
        return
    table = Delivery.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.state == "pending")
        .values({name: bindparam(f"new_{name}") for name in DELIVERY_RESULT_COLUMNS})
    )
    await session.execute(
        statement,
        [
            {"row_id": r["id"], **{f"new_{name}": r[name] for name in DELIVERY_RESULT_COLUMNS}}
            for r in results
        ],
    )


async def cancel_pending_for_object(session: AsyncSession, object_id: str, *, keep_activity: str = "") -> int:
    statement = update(Delivery).where(Delivery.object_id == object_id, Delivery.state == "pending")
    if keep_activity:
        statement = statement.where(Delivery.activity_type != keep_activity)
    result = await session.execute(
        statement.values(state="cancelled", last_error="cancelled: object deleted").execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount or 0


async def cancel_pending_for_host(session: AsyncSession, host: str, reason: str) -> int:
    result = await session.execute(
        update(Delivery)
        .where(Delivery.peer_host == host, Delivery.state == "pending")
        .values(state="cancelled", last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def deliveries_for_object(
    session: AsyncSession, object_id: str, limit: int = 2000
) -> Sequence[Delivery]:
    rows = await session.execute(
        select(Delivery).where(Delivery.object_id == object_id).order_by(Delivery.id).limit(limit)
    )
    return rows.scalars().all()


async def recent_deliveries(session: AsyncSession, limit: int = 100) -> Sequence[Delivery]:
    rows = await session.execute(select(Delivery).order_by(Delivery.id.desc()).limit(limit))
    return rows.scalars().all()


async def delivery_state_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Delivery.state, func.count(Delivery.id)).group_by(Delivery.state))
    return {state: int(count) for state, count in rows.all()}


async def deliveries_of(session: AsyncSession, object_id: str) -> Sequence[Delivery]:
    rows = await session.execute(
        select(Delivery).where(Delivery.object_id == object_id).order_by(Delivery.id)
    )
    return rows.scalars().all()


async def inboxes_delivered_from(session: AsyncSession, sender_actor_id: int) -> list[str]:
    """Every inbox this actor ever sent to (those servers hold its content and its claim)."""
    rows = await session.execute(
        select(Delivery.inbox_url).where(Delivery.sender_actor_id == sender_actor_id).distinct()
    )
    return [inbox for (inbox,) in rows.all()]
