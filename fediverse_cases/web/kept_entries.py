"""The per-process map behind both response caches (``web/doc_cache.py`` for visitors' documents,
``web/fresh_values.py`` for what signed-in pages read): entries kept while the change signal says
nothing they were read from has changed and their age allows, bounded oldest-first, and the loads
under way, so requests that miss the same key together wait for one load instead of each doing it.

What an entry holds and how it is loaded belongs to the cache using this map; this module owns
only when a kept entry may still be answered, and how loads under way are shared. It also owns
the two rules every per-process map here follows: the oldest-first bound (``keep_bounded``, also
used by the fast path's requests, the templates' URLs and the verified session cookies) and the
copy of a kept mapping handed to one request (``copy_for_request``).
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Mapping
from typing import Any, Generic, Protocol, TypeVar

from fediverse_cases.storage.change_signal import ChangeSignal, Versions

__all__ = ["Kept", "KeptEntries", "copy_for_request", "keep_bounded"]


class Kept(Protocol):
    """What the map needs of an entry: the change-signal versions it was read at, and its end."""

    @property
    def versions(self) -> Versions: ...

    # time.monotonic() after which the entry is loaded again; None: only the signal decides.
    @property
    def expires_at(self) -> float | None: ...


Entry = TypeVar("Entry", bound=Kept)
Key = TypeVar("Key")
Value = TypeVar("Value")


def keep_bounded(entries: dict[Key, Value], key: Key, value: Value, max_entries: int) -> None:
    """Store ``value`` under ``key``, dropping the oldest entries to stay under ``max_entries``
    (dicts keep insertion order, and a re-stored entry moves to the end)."""
    entries.pop(key, None)
    while entries and len(entries) >= max_entries:
        entries.pop(next(iter(entries)))
    entries[key] = value


def copy_for_request(values: Mapping[str, Any]) -> dict[str, Any]:
    """A kept mapping's values for one request: its lists and dicts copied, so a request that
    changes them in place changes its own copy, not what the next request is handed."""
    return {
        key: copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        for key, value in values.items()
    }


class KeptEntries(Generic[Entry]):
    """A bounded map of keys to kept entries of one process (off when ``max_entries`` is 0)."""

    def __init__(self, signal: ChangeSignal, max_entries: int) -> None:
        self.signal = signal
        self.max_entries = max_entries
        self._entries: dict[str, Entry] = {}
        self._loading: dict[str, asyncio.Future[Entry | None]] = {}

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def lookup(self, key: str) -> Entry | None:
        """The kept entry of ``key`` while it may still be answered (a stale one is dropped)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expired = entry.expires_at is not None and time.monotonic() >= entry.expires_at
        if expired or not self.signal.fresh(entry.versions):
            self._entries.pop(key, None)
            return None
        return entry

    async def find(self, key: str) -> Entry | None:
        """The kept entry of ``key``, else the one a load under way produces if it is still fresh
        (None: the caller loads it, with ``start_load``/``end_load`` around the load)."""
        entry = self.lookup(key)
        if entry is not None or not self.enabled:
            return entry
        under_way = self._loading.get(key)
        if under_way is None:
            return None
        # shield: a waiter whose client leaves must not cancel the load the others wait for.
        entry = await asyncio.shield(under_way)
        if entry is not None and not self.signal.fresh(entry.versions):
            return None  # what it was loaded from changed while it loaded
        return entry

    def start_load(self, key: str) -> asyncio.Future[Entry | None]:
        future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        return future

    def end_load(self, key: str, future: asyncio.Future[Entry | None], entry: Entry | None) -> None:
        """Hands the load's entry to the requests waiting for it. None (a failed or cancelled
        load, or an answer that must not be kept): each of them then loads for itself."""
        if self._loading.get(key) is future:
            del self._loading[key]
        if not future.done():
            future.set_result(entry)

    def store(self, key: str, entry: Entry) -> None:
        if self.enabled:
            keep_bounded(self._entries, key, entry, self.max_entries)
