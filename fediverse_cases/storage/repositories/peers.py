"""Peer hospitals (the allow-list table) and what we hold from a peer's host.
Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Actor,
    Case,
    CaseImage,
    DicomStackImage,
    Peer,
)


async def get_peer(session: AsyncSession, host: str) -> Peer | None:
    return (await session.execute(select(Peer).where(Peer.host == host))).scalar_one_or_none()


async def list_peers(session: AsyncSession) -> Sequence[Peer]:
    return (await session.execute(select(Peer).order_by(Peer.host))).scalars().all()


async def peers_by_hosts(session: AsyncSession, hosts: Iterable[str]) -> dict[str, Peer]:
    hosts = list(set(hosts))
    if not hosts:
        return {}
    rows = (await session.execute(select(Peer).where(Peer.host.in_(hosts)))).scalars().all()
    return {peer.host: peer for peer in rows}


async def delete_peer(session: AsyncSession, host: str) -> int:
    return (await session.execute(delete(Peer).where(Peer.host == host))).rowcount or 0


async def allowed_peers(session: AsyncSession) -> Sequence[Peer]:
    rows = await session.execute(select(Peer).where(Peer.state == "allowed").order_by(Peer.host))
    return rows.scalars().all()


async def vouch_host_actors(session: AsyncSession, host: str, vouched: bool) -> int:
    result = await session.execute(
        update(Actor)
        .where(Actor.host == host, Actor.is_local.is_(False))
        .values(vouched=vouched)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def media_keys_from_host(session: AsyncSession, host: str) -> list[str]:
    rows = await session.execute(
        select(CaseImage.media_key)
        .join(Case, Case.id == CaseImage.case_id)
        .join(Actor, Actor.id == Case.author_actor_id)
        .where(Actor.host == host, Actor.is_local.is_(False), CaseImage.media_key != "")
    )
    frames = await session.execute(
        select(DicomStackImage.media_key)
        .join(Case, Case.id == DicomStackImage.case_id)
        .join(Actor, Actor.id == Case.author_actor_id)
        .where(Actor.host == host, Actor.is_local.is_(False))
    )
    return sorted({*rows.scalars().all(), *frames.scalars().all()})


async def delete_remote_actors_of_host(session: AsyncSession, host: str) -> int:
    """Remote actors of ``host`` and, by cascade, their cases, comments, likes and follows."""
    result = await session.execute(delete(Actor).where(and_(Actor.host == host, Actor.is_local.is_(False))))
    return result.rowcount or 0
