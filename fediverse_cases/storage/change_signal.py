"""Which stored rows changed, told to every process on this host at once: the invalidation
signal behind the cached public documents (``web/doc_cache.py``).

The signal is a small file (beside ``private_dir``) of 4,096 eight-byte slots mapped into
memory by every process that opens the database with these settings (the hypercorn workers,
``fediverse-cases worker``, the admin commands). A key such as ``"cases:42"`` hashes to one slot. After a session commits, every
row it inserted, updated or deleted writes a fresh random value into the slots of
``<table>:<pk>``, of every row it references by foreign key (a new comment changes its case and
its author; a new follow changes both actors), and — for inserts and deletes — of
``rows:<table>``. A bulk ``INSERT``, or an ``UPDATE``/``DELETE`` statement that matched rows,
changes ``dml:<table>`` and ``rows:<table>``; any write to a table changes ``table:<table>`` (what
a feed depends on: a case that becomes public appears on it); an unrecognised write changes ``*``. (Rows are
new when flushed, so nothing cached can show them yet: their own key is not needed.)

Readers take ``snapshot()`` before they load anything, and ``capture()`` collects every row the
ORM loads meanwhile (``<table>:<pk>`` and ``dml:<table>``, plus ``*``); a rendered document is
fresh while those slots still hold the snapshot's values. Reading a slot is a memory read, so a
fresh cached document is answered without a database session. Random values rather than
counters, because two processes bumping the same slot concurrently may then lose neither bump's
effect: any new value differs from what a reader saw. Hash collisions only invalidate more.

The write happens after the commit, so a reader that loaded the old rows before it cannot keep
them: its entry carries the slot values from before the write. What this does not cover: writes
from another host (several app servers on one PostgreSQL; turn the cache off there with
``[server] document_cache_entries = 0``) and writes outside an ORM session (``restore``, which
needs the server stopped).
"""

from __future__ import annotations

import contextvars
import mmap
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, event, inspect
from sqlalchemy.exc import ResourceClosedError
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

SLOTS = 4096
# Slots are read and written as native unsigned 64-bit integers through a memoryview (a third
# of the cost of struct): the file is shared only by processes on this host.
_SLOT_FORMAT = "Q"
_SLOT_SIZE = 8
_WRITE_SQL = re.compile(r"^\s*(insert|update|delete|replace)\b", re.IGNORECASE)
ANY = "*"

__all__ = ["ANY", "ChangeSignal", "Versions"]

# Slot values a rendered document depends on: ((slot, value), ...).
Versions = tuple[tuple[int, int], ...]


def _slot(key: str) -> int:
    return zlib.crc32(key.encode()) % SLOTS


def _row_key(instance: Any) -> str | None:
    state = inspect(instance)
    identity = state.identity
    if not identity:
        return None
    return f"{state.mapper.local_table.name}:{':'.join(str(part) for part in identity)}"


class ChangeSignal:
    """The shared slot file of one instance (or an anonymous map when ``path`` is None)."""

    def __init__(self, path: Path | None) -> None:
        size = SLOTS * _SLOT_SIZE
        if path is None:
            self._map = mmap.mmap(-1, size)
        else:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_size < size:
                    os.ftruncate(fd, size)  # zero-filled; every process agrees on the size
                self._map = mmap.mmap(fd, size)
            finally:
                os.close(fd)
        self._slots = memoryview(self._map).cast(_SLOT_FORMAT)
        self._capture: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
            f"change_signal_capture_{id(self)}", default=None
        )

    # --- readers -------------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        return self._map[:]

    @contextmanager
    def capture(self) -> Iterator[set[str]]:
        """Collect the keys of every row the ORM loads in this context (and its tasks)."""
        keys: set[str] = {ANY}
        token = self._capture.set(keys)
        try:
            yield keys
        finally:
            self._capture.reset(token)

    def depend(self, keys: Iterable[str]) -> None:
        """Add ``keys`` to the capture under way, if any: a value kept from an earlier load (and
        so not loaded now) still makes what is being rendered depend on its rows."""
        captured = self._capture.get()
        if captured is not None:
            captured.update(keys)

    def versions(self, snapshot: bytes, keys: Iterable[str]) -> Versions:
        slots = sorted({_slot(key) for key in keys})
        values = memoryview(snapshot).cast(_SLOT_FORMAT)
        return tuple((slot, values[slot]) for slot in slots)

    def fresh(self, versions: Versions) -> bool:
        slots = self._slots
        return all(slots[slot] == value for slot, value in versions)

    # --- writers -------------------------------------------------------------------------------

    def bump(self, keys: Iterable[str]) -> None:
        for slot in {_slot(key) for key in keys}:
            self._slots[slot] = int.from_bytes(os.urandom(_SLOT_SIZE), "little")

    def close(self) -> None:
        self._slots.release()
        self._map.close()

    # --- session wiring ------------------------------------------------------------------------

    def session_class(self) -> type[Session]:
        """A Session subclass wired to this signal (per instance: tests run several in one
        process, each with its own file)."""
        tracked = type("ChangeTrackedSession", (Session,), {})
        event.listen(tracked, "loaded_as_persistent", self._on_load)
        event.listen(tracked, "after_flush", self._on_flush)
        event.listen(tracked, "do_orm_execute", self._on_execute)
        event.listen(tracked, "after_commit", self._on_commit)
        return tracked

    def _on_load(self, _session: Session, instance: Any) -> None:
        keys = self._capture.get()
        if keys is not None and (key := _row_key(instance)) is not None:
            keys.add(key)
            keys.add(f"dml:{key.partition(':')[0]}")

    def _on_flush(self, session: Session, _flush: UOWTransaction) -> None:
        pending: set[str] = session.info.setdefault("change_signal_keys", set())
        for instance, created_or_deleted in (
            *((obj, True) for obj in session.new),
            *((obj, False) for obj in session.dirty),
            *((obj, True) for obj in session.deleted),
        ):
            state = inspect(instance)
            table = state.mapper.local_table
            if (key := _row_key(instance)) is not None:
                pending.add(key)
            pending.add(f"table:{table.name}")
            if created_or_deleted:
                pending.add(f"rows:{table.name}")
            for column in table.columns:
                for foreign_key in column.foreign_keys:
                    attribute = state.mapper.get_property_by_column(column).key
                    value = getattr(instance, attribute, None)
                    if value is not None:
                        pending.add(f"{foreign_key.column.table.name}:{value}")
                    # The row it referenced before an update changes too (a case moved away).
                    history = state.attrs[attribute].history
                    pending.update(f"{foreign_key.column.table.name}:{old}" for old in history.deleted or ())

    def _on_execute(self, execute_state: ORMExecuteState) -> Any:
        if execute_state.is_select:
            return None
        statement = execute_state.statement
        table = getattr(statement, "table", None)
        dml = execute_state.is_update or execute_state.is_delete or execute_state.is_insert
        if dml and table is not None:
            keys = {f"dml:{table.name}", f"rows:{table.name}", f"table:{table.name}"}
        elif _WRITE_SQL.match(str(statement)):
            keys = {ANY}
        else:
            return None
        pending: set[str] = execute_state.session.info.setdefault("change_signal_keys", set())
        if not (execute_state.is_update or execute_state.is_delete) or execute_state.is_executemany:
            pending.update(keys)  # an insert, a raw write or an UPDATE by primary keys changes rows
            return None
        # An UPDATE/DELETE counts only when it matched rows: the queue workers' claim UPDATEs run
        # every few hundred milliseconds and usually match nothing.
        result = execute_state.invoke_statement()
        if isinstance(result, CursorResult) and not result.returns_rows:
            changed = result.rowcount != 0  # -1 (unknown) counts as changed
        else:
            try:
                frozen = result.freeze()
            except ResourceClosedError:  # no rows to look at: assume it changed some
                pending.update(keys)
                return result
            changed = bool(frozen.data)
            result = frozen()
        if changed:
            pending.update(keys)
        return result

    def _on_commit(self, session: Session) -> None:
        keys = session.info.pop("change_signal_keys", None)
        if keys:
            self.bump(keys)
