"""Claiming due rows of a durable work table (deliveries, inbox items, erasure re-checks,
de-identification jobs).

Every work table has ``state``, ``next_attempt_at`` and ``locked_until``. A worker claims up to
``limit`` pending rows that are due and not leased by setting their lease in one statement
(``UPDATE ... RETURNING``; on PostgreSQL the candidate rows are picked ``FOR UPDATE SKIP
LOCKED``), so several worker processes never take the same row, and a worker that dies only
delays its rows until the lease runs out. Takes a session first and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

Row = TypeVar("Row")


async def claim_due(
    session: AsyncSession,
    model: type[Row],
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    order_by: Sequence[Any],
    also_set: Mapping[str, Any] | None = None,
    where: Sequence[Any] = (),
) -> Sequence[Row]:
    """``also_set``: more columns set by the same statement (e.g. an attempt counter);
    ``where``: more conditions on the rows (e.g. only some ids)."""
    table: Any = model
    due = (
        select(table.id)
        .where(
            table.state == "pending",
            table.next_attempt_at <= now,
            or_(table.locked_until.is_(None), table.locked_until < now),
            *where,
        )
        .order_by(*order_by)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    elif (await session.execute(due.limit(1))).first() is None:
        # SQLite: an UPDATE takes the database's one write lock even when it matches nothing, and
        # keeps it until the commit; every worker loop of every process polls several times a
        # second, so look first (a read takes no lock) and write only when something is due.
        return []
    statement = (
        update(table)
        .where(table.id.in_(due.scalar_subquery()))
        .values(locked_until=lease_until, **(also_set or {}))
        .returning(table)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).scalars().all()
