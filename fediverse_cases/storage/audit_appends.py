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

On a SQLite file each turn runs whole in one thread of its own (``db.sqlite_file_twin``): through
aiosqlite a turn was eight hand-offs between its thread and the event loop (check out, set
autocommit, cursor, execute, fetch, close, reset, check in), each waiting under load for the loop
to come round, and a case page waited 10 to 15 ms for its row. PostgreSQL's driver is the event
loop's own (asyncpg), so there a turn stays on the engine.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.db import sqlite_file_twin
from fediverse_cases.storage.models import AuditEvent
from fediverse_cases.storage.repositories.audit import AuditEntry, audit_columns

__all__ = ["CommittedAppends"]

# Rows per turn: a bound on how long one turn holds SQLite's write lock.
MAX_GROUP = 500


class CommittedAppends:
    """The audit appends of one process on one database."""

    def __init__(self, engine: AsyncEngine) -> None:
        # Each turn's statement commits itself (the pool's connections, set to autocommit).
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        twin = sqlite_file_twin(engine)
        # What the statements go through, for observers (tests counting statements).
        self.engines: tuple[Engine, ...] = (engine.sync_engine, *((twin,) if twin else ()))
        self._file: Engine | None = twin.execution_options(isolation_level="AUTOCOMMIT") if twin else None
        self._thread: ThreadPoolExecutor | None = None
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        # RETURNING makes SQLAlchemy send a group as one multi-row INSERT built from this one
        # cached statement ("insertmanyvalues"), not one INSERT per row. Built once: constructing
        # it was a tenth of a turn.
        self._insert = insert(AuditEvent).returning(AuditEvent.id)

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
                await self._write([row for row, _ in group])
            except Exception as error:
                for _, committed in group:
                    if not committed.done():
                        committed.set_exception(error)
            else:
                for _, committed in group:
                    if not committed.done():
                        committed.set_result(None)

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        if self._file is None:
            async with self._engine.connect() as connection:
                await connection.execute(self._insert, rows)
            return
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-appends")
        await asyncio.get_running_loop().run_in_executor(self._thread, self._write_in_thread, rows)

    def _write_in_thread(self, rows: list[dict[str, Any]]) -> None:
        assert self._file is not None
        with self._file.connect() as connection:
            connection.execute(self._insert, rows)

    def close(self) -> None:
        """Ends the writing thread (after the turn it may be running) and closes its connection."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        if self._file is not None:
            self._file.dispose()
