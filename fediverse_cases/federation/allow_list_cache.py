"""The effective allow-list of this process, built from the ``peers`` table and cached briefly.

Every direction asks ``state.allow_list.current(db)`` (inbound requests, deliveries,
dereferencing, media fetches). The decision itself is ``core.hosts.AllowList``; this module only
builds it and keeps it for ``CACHE_SECONDS`` so a busy inbox does not query the table per
request. A change made in this process invalidates the cache at once; other processes see it
within ``CACHE_SECONDS``, and removal also cancels queued deliveries in the database, so nothing
is sent after a removal either way.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fediverse_cases.core.hosts import AllowList
from fediverse_cases.settings import Settings
from fediverse_cases.storage.repositories import peers as peers_repo

CACHE_SECONDS = 2.0


async def build_allow_list(db: AsyncSession, settings: Settings) -> AllowList:
    peers = await peers_repo.list_peers(db)
    return AllowList.build(
        mode=settings.federation.mode,  # type: ignore[arg-type]
        allowed=[p.host for p in peers if p.state == "allowed"],
        blocked=[p.host for p in peers if p.state == "blocked"],
        local_hosts=[settings.instance.host],
    )


@dataclass
class AllowListCache:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    _entry: tuple[float, AllowList] | None = None
    # The lock belongs to one event loop; tests (and ``asyncio.run`` per CLI call) use several.
    _lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = field(default=None, repr=False)

    def _fresh(self) -> AllowList | None:
        entry = self._entry
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    async def current(self, db: AsyncSession | None = None) -> AllowList:
        cached = self._fresh()
        if cached is not None:
            return cached
        # Single flight: a fan-out of a thousand sends must not rebuild it a thousand times at once.
        async with self._rebuild_lock():
            cached = self._fresh()
            if cached is not None:
                return cached
            if db is None:
                async with self.sessionmaker() as session:
                    allow_list = await build_allow_list(session, self.settings)
            else:
                allow_list = await build_allow_list(db, self.settings)
            self._entry = (time.monotonic() + CACHE_SECONDS, allow_list)
        return allow_list

    def invalidate(self) -> None:
        self._entry = None

    def _rebuild_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]
