"""Watching the SQL a test's instance sends: every statement, from the app's engine and from the
audit appends (on a SQLite file those go through an engine of their own, in their own thread)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def observing_statements(state: Any, observe: Callable[..., None]) -> Iterator[None]:
    """``observe(connection, cursor, statement, parameters, context, executemany)`` runs before
    each statement sent to ``state``'s database while the context is open; it may raise."""
    engines = {state.engine.sync_engine, *state.audit_appends.engines}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", observe)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", observe)


@contextmanager
def counted_statements(state: Any) -> Iterator[list[str]]:
    """The SQL of every statement sent while the context is open, in order."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with observing_statements(state, count):
        yield seen
