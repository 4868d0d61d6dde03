"""Engine and session factory for SQLite (aiosqlite, WAL) and PostgreSQL (asyncpg).

Owns how a database URL becomes an AsyncEngine with the right per-connection settings, and the
one ``async_sessionmaker`` configuration (``expire_on_commit=False``) used everywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from fediverse_cases.storage.change_signal import ChangeSignal


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    # Compiled SQL is cached per statement shape; large enough for every repository query so
    # a busy route never recompiles (SQLAlchemy's default of 500 is shared by all of them).
    kwargs.setdefault("query_cache_size", 2000)
    if database_url.startswith("sqlite"):
        if database_url.rstrip("/").endswith((":memory:", "aiosqlite:")):
            # One shared in-memory connection (StaticPool): there is no pool to size.
            kwargs.pop("pool_size", None)
            kwargs.pop("max_overflow", None)
        elif "pool_size" in kwargs:
            # Keep every connection open: an overflow connection is opened under load and closed
            # when handed back, and each opening costs aiosqlite a thread, the file and the
            # PRAGMAs below, while SQLite has no server-side connection limit to stay under.
            kwargs["pool_size"] += kwargs.pop("max_overflow", 0)
            kwargs["max_overflow"] = 0
        engine = create_async_engine(database_url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    # asyncpg prepares each statement once per connection and reuses it (server-side plans).
    connect_args = {"prepared_statement_cache_size": 500}
    return create_async_engine(database_url, connect_args=connect_args, **kwargs)


def sqlite_file_twin(engine: AsyncEngine) -> Engine | None:
    """The same SQLite file as ``engine``, through the standard library's driver (one pooled
    connection, the same PRAGMAs), for a write done whole in one thread; None for any other
    database, and for an in-memory one (another connection would be another database).

    Each statement through aiosqlite is several hand-offs between its thread and the event loop,
    and under load each hand-off waits for the loop to come round: a write that must finish
    before a page is answered is faster done in one hand-off to a thread that runs it all.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    twin = create_sync_engine(
        url.set(drivername="sqlite"), connect_args={"timeout": 30}, pool_size=1, max_overflow=0
    )
    event.listen(twin, "connect", _configure_sqlite_connection)
    return twin


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer commits; busy_timeout makes concurrent writers
    # (several worker processes) wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_sessionmaker(
    engine: AsyncEngine, signal: ChangeSignal | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that tell ``signal`` (when given) which rows they changed and loaded."""
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=signal.session_class() if signal is not None else Session,
    )
