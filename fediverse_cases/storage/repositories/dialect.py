"""Dialect-aware INSERT (``ON CONFLICT`` differs between SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    return pg_insert(table) if session.bind.dialect.name == "postgresql" else sqlite_insert(table)
