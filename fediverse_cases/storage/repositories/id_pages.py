"""Mastodon-style id pagination (``max_id``/``since_id``/``min_id``) over any query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class IdPage:
    """Mastodon pagination: newest first below ``max_id``; above ``since_id``; or the oldest
    just above ``min_id`` (returned newest first, as Mastodon does)."""

    limit: int = 20
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None


def apply_id_page(query: Select, column, page: IdPage) -> Select:  # type: ignore[type-arg,no-untyped-def]
    if page.max_id is not None:
        query = query.where(column < page.max_id)
    if page.since_id is not None:
        query = query.where(column > page.since_id)
    if page.min_id is not None:
        return query.where(column > page.min_id).order_by(column.asc()).limit(page.limit)
    return query.order_by(column.desc()).limit(page.limit)


async def run_id_page(session: AsyncSession, query: Select, column, page: IdPage) -> list:  # type: ignore[type-arg,no-untyped-def]
    rows = list((await session.execute(apply_id_page(query, column, page))).scalars())
    if page.min_id is not None:
        rows.reverse()
    return rows
