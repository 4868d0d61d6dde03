"""Group commit for the inbox: concurrent requests hand their rows to one writer that inserts
them in batches, one transaction per batch.

On SQLite every commit takes the single write lock; sixteen requests committing one row each
queue on that lock (and its busy-wait) far longer than one insert of sixteen rows takes. The
caller still answers 202 only after its row is committed (it awaits its future). Dedupe by
activity id holds within a batch and against the table (``ON CONFLICT DO NOTHING RETURNING``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fediverse_cases.storage.repositories import inbox_items as inbox_items_repo

MAX_BATCH = 500


class InboxWriter:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._pending: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def add(self, row: dict[str, Any]) -> bool:
        """Queue ``row``; True when it was inserted, False when its activity id existed."""
        loop = asyncio.get_running_loop()
        if self._flusher is not None and self._flusher.get_loop() is not loop:
            # A new event loop (a test, or a CLI ``asyncio.run``): the old batch cannot be awaited.
            self._pending, self._flusher = [], None
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append((row, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let requests that are ready now join this batch
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                await self._write(batch)
            except Exception as error:  # the batch failed as a whole: retry row by row
                for row, future in batch:
                    try:
                        await self._write([(row, future)])
                    except Exception as single:
                        if not future.done():
                            future.set_exception(single if single is not error else error)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[bool]]]) -> None:
        unique: dict[str, dict[str, Any]] = {}
        for row, _future in batch:
            unique.setdefault(row["activity_id"], row)
        async with self.sessionmaker() as db, db.begin():
            inserted = await inbox_items_repo.add_inbox_items(db, list(unique.values()))
        claimed: set[str] = set()
        for row, future in batch:
            activity_id = row["activity_id"]
            first = activity_id in inserted and activity_id not in claimed
            claimed.add(activity_id)
            if not future.done():
                future.set_result(first)
