"""Audit rows that must be committed before the request that records them goes on (a signed-in
case view is recorded before the page is answered), written in groups: every caller waits for
the commit of the statement that holds its row, and the rows that arrive while one group is
being written go together in the next.

This is group commit (PostgreSQL's ``commit_delay``, SQLite's advice for many small writers):
under 32 concurrent readers a worker writes one statement per turn instead of one transaction
per view, and on SQLite each turn holds the one write lock only while that single autocommitted
statement runs. The statement is one cached ``INSERT`` that SQLAlchemy expands to the group's
rows ("insertmanyvalues"); a multi-row ``VALUES`` built per group was compiled every time.
A failed write fails every request of its group (nothing is
answered without its row). Audit rows are on no cached document, so the change signal is not told.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import AuditEvent
from fediverse_cases.storage.repositories.audit import AuditEntry, audit_columns

__all__ = ["CommittedAppends"]

# Rows per turn: a bound on how long one turn holds SQLite's write lock.
MAX_GROUP = 500


class CommittedAppends:
    """The audit appends of one process on one database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, entry: AuditEntry) -> None:
        """Returns once ``entry`` is committed; raises what the write raised."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        self._waiting.append(({"created_at": utcnow(), **audit_columns(entry)}, committed))
        # A writer of another event loop (one that has ended, in tests and CLI runs) never resumes.
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            self._writer = asyncio.create_task(self._write_waiting())
        # Shielded: a caller that goes away (the client hung up) still has its row written.
        await asyncio.shield(committed)

    async def _write_waiting(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            try:
                async with self._engine.connect() as connection:
                    autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    # RETURNING makes SQLAlchemy send the rows as one multi-row INSERT built from
                    # the one cached statement ("insertmanyvalues"), not one INSERT per row.
                    await autocommit.execute(
                        insert(AuditEvent).returning(AuditEvent.id), [row for row, _ in group]
                    )
            except Exception as error:
                for _, committed in group:
                    if not committed.done():
                        committed.set_exception(error)
            else:
                for _, committed in group:
                    if not committed.done():
                        committed.set_result(None)
