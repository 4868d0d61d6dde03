"""Values that signed-in pages read on every request (the reader's account and actor, the badge
counts, the shared card lists), kept per process and answered from memory while the change
signal says nothing they were read from has changed.

This is the signed-in counterpart of the document cache (``web/doc_cache.py``): a signed-in page
is rendered for its reader, but most of what it reads is not theirs, or changes far less often
than it is read. A value is loaded inside the signal's ``capture()``, so every row the load
brings in becomes a dependency, stamped with the slot values from *before* the load; a lookup
checks those slots (memory reads) and loads again when any of them moved. Loads that read no
rows as ORM entities (a ``count()``, a column list) name what they depend on with
``depends_on`` (``table:notifications``). Bounded by ``[server] signed_in_cache_entries``; off
when that is 0 or the document cache is off (``[server] document_cache_entries = 0``: several
app servers share one PostgreSQL, and a write on another host would not reach this host's signal).

Values are shared between concurrent requests: keep them immutable, or hand each request a copy
(``detached_copy`` for ORM rows). Requests that miss the same key while its load is under way wait
for that load rather than each loading it again (a change to a table every signed-in page reads
would otherwise send every open connection to the database at once).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from quart import Quart, current_app
from sqlalchemy import inspect
from sqlalchemy.orm import Mapper, make_transient_to_detached

from fediverse_cases.storage.change_signal import ChangeSignal, Versions
from fediverse_cases.web.kept_entries import KeptEntries, copy_for_request

__all__ = ["FreshValues", "detached_copy", "fresh_values", "init_fresh_values"]

EXTENSION = "fediverse_cases.fresh_values"
T = TypeVar("T")
Row = TypeVar("Row")


@dataclass(frozen=True)
class _Kept(Generic[T]):
    value: T
    keys: frozenset[str]
    versions: Versions
    expires_at: float | None


class FreshValues:
    """Keys to loaded values of one process, checked against the change signal."""

    def __init__(self, signal: ChangeSignal, max_entries: int) -> None:
        self._kept: KeptEntries[_Kept[Any]] = KeptEntries(signal, max_entries)

    async def get(
        self,
        key: str,
        load: Callable[[], Awaitable[T]],
        *,
        depends_on: Iterable[str] = (),
        max_age: float | None = None,
    ) -> T:
        """``load()``'s value for ``key``: the kept one while fresh, else loaded (and kept)."""
        if not self._kept.enabled:
            return await load()
        kept = await self._kept.find(key)
        if kept is None:
            kept = await self._load(key, load, depends_on, max_age)
        # A document being rendered around this read depends on what the value came from.
        self._kept.signal.depend(kept.keys)
        return kept.value  # type: ignore[no-any-return]

    async def _load(
        self, key: str, load: Callable[[], Awaitable[T]], depends_on: Iterable[str], max_age: float | None
    ) -> _Kept[T]:
        future = self._kept.start_load(key)
        kept: _Kept[T] | None = None
        try:
            snapshot = self._kept.signal.snapshot()
            with self._kept.signal.capture() as keys:
                value = await load()
            keys.update(depends_on)
            kept = _Kept(
                value=value,
                keys=frozenset(keys),
                versions=self._kept.signal.versions(snapshot, keys),
                expires_at=time.monotonic() + max_age if max_age is not None else None,
            )
            self._kept.store(key, kept)
            return kept
        finally:
            self._kept.end_load(key, future, kept)


def init_fresh_values(app: Quart, signal: ChangeSignal, max_entries: int) -> FreshValues:
    values = app.extensions[EXTENSION] = FreshValues(signal, max_entries)
    return values


def fresh_values() -> FreshValues:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def detached_copy(row: Row) -> Row:
    """A detached copy of a loaded ORM row with the same column values, for one request: a kept
    row is shared, and a view may change or attach the row it was handed."""
    state = inspect(row)
    mapper = state.mapper  # type: ignore[union-attr]
    columns = _column_keys(mapper)
    # The loaded values straight from the instance's dict (no attribute events per column).
    values = copy_for_request({key: value for key, value in state.dict.items() if key in columns})  # type: ignore[union-attr]
    duplicate = mapper.class_manager.new_instance()
    # Straight into the instance's dict, as the ORM's loading does: no change events per column.
    duplicate.__dict__.update(values)
    make_transient_to_detached(duplicate)
    return duplicate  # type: ignore[no-any-return]


@functools.cache
def _column_keys(mapper: Mapper[Any]) -> frozenset[str]:
    return frozenset(attribute.key for attribute in mapper.column_attrs)
