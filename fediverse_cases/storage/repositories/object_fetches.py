"""Signed fetches of our objects: which peer fetched what (they hold a copy; withdrawal must
reach them). Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Actor, ObjectFetch
from fediverse_cases.storage.repositories.dialect import dialect_insert


async def record_object_fetch(
    session: AsyncSession, object_id: str, peer_host: str, signer_actor_id: int | None, when: datetime
) -> None:
    statement = dialect_insert(session, ObjectFetch).values(
        object_id=object_id, peer_host=peer_host, signer_actor_id=signer_actor_id, fetched_at=when
    )
    statement = statement.on_conflict_do_update(
        index_elements=["object_id", "peer_host"],
        set_={"fetched_at": when, "signer_actor_id": signer_actor_id},
    )
    await session.execute(statement)


async def hosts_that_fetched(session: AsyncSession, object_id: str) -> list[str]:
    rows = await session.execute(select(ObjectFetch.peer_host).where(ObjectFetch.object_id == object_id))
    return sorted(rows.scalars().all())


async def fetches_of(session: AsyncSession, object_id: str) -> Sequence[ObjectFetch]:
    rows = await session.execute(select(ObjectFetch).where(ObjectFetch.object_id == object_id))
    return rows.scalars().all()


async def fetch_signers(session: AsyncSession, object_id: str) -> list[tuple[str, Actor | None]]:
    """(peer host, the actor that signed its fetch, when recorded) for every fetch of the object."""
    rows = await session.execute(
        select(ObjectFetch.peer_host, Actor)
        .outerjoin(Actor, Actor.id == ObjectFetch.signer_actor_id)
        .where(ObjectFetch.object_id == object_id)
    )
    return [(host, actor) for host, actor in rows.all()]
