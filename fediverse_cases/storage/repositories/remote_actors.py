"""Actors by id, key and host: remote actors as fetched, and instance actors of peers.
Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Actor,
    Case,
)
from fediverse_cases.storage.repositories.dialect import dialect_insert
from fediverse_cases.storage.repositories.id_pages import IdPage, run_id_page


async def get_actor_by_key_id(session: AsyncSession, key_id: str) -> Actor | None:
    rows = await session.execute(
        select(Actor).where(or_(Actor.public_key_id == key_id, Actor.ed25519_key_id == key_id)).limit(1)
    )
    return rows.scalar_one_or_none()


async def get_actor(session: AsyncSession, actor_id: int) -> Actor | None:
    return await session.get(Actor, actor_id)


async def actors_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, Actor]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = (await session.execute(select(Actor).where(Actor.id.in_(ids)))).scalars().all()
    return {actor.id: actor for actor in rows}


async def instance_actors(session: AsyncSession, hosts: Iterable[str]) -> Sequence[Actor]:
    """The instance actors (Service/Application) of these hosts, as their documents gave them."""
    hosts = list(hosts)
    if not hosts:
        return []
    rows = await session.execute(
        select(Actor)
        .where(
            Actor.is_local.is_(False),
            Actor.host.in_(hosts),
            Actor.actor_type.in_(("Service", "Application")),
        )
        .order_by(Actor.host, Actor.id)
    )
    return rows.scalars().all()


async def known_shared_inbox(session: AsyncSession, host: str) -> str | None:
    """A shared inbox some actor of ``host`` published (instance actors first), or None."""
    rows = await session.execute(
        select(Actor.shared_inbox_url)
        .where(Actor.is_local.is_(False), Actor.host == host, Actor.shared_inbox_url != "")
        .order_by(Actor.actor_type.in_(("Service", "Application")).desc(), Actor.id)
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def count_published_cases(
    session: AsyncSession, actor_id: int, states: Sequence[str], visibilities: Sequence[str]
) -> int:
    rows = await session.execute(
        select(func.count(Case.id)).where(
            Case.author_actor_id == actor_id, Case.state.in_(states), Case.visibility.in_(visibilities)
        )
    )
    return int(rows.scalar_one())


async def public_cases_page(session: AsyncSession, actor_id: int, page: IdPage) -> list[Case]:
    """An actor's published public cases (what its outbox lists), newest first, by case id."""
    query = select(Case).where(
        Case.author_actor_id == actor_id,
        Case.state == "published",
        Case.visibility == "public",
        Case.hidden.is_(False),
        Case.is_local.is_(True),
    )
    return await run_id_page(session, query, Case.id, page)


async def upsert_remote_actor(session: AsyncSession, values: dict[str, Any]) -> Actor:
    """Insert or update a remote actor by ``uri`` in one statement, so two requests storing the
    same new actor at once (two workers, two inbox requests) cannot collide; local rows are
    never touched."""
    statement = dialect_insert(session, Actor).values(**values)
    changes = {k: statement.excluded[k] for k in values if k not in ("uri", "created_at", "is_local")}
    if not values.get("vouched"):
        changes.pop("vouched", None)  # only a peer-wide vouch sets it here; never clear a per-actor vouch
    statement = statement.on_conflict_do_update(
        index_elements=["uri"], set_=changes, where=Actor.is_local.is_(False)
    )
    await session.execute(statement)
    result = await session.execute(
        select(Actor).where(Actor.uri == values["uri"]).execution_options(populate_existing=True)
    )
    return result.scalar_one()
