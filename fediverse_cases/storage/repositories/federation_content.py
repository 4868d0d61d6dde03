"""Queries for federated content: objects by ActivityPub id, tombstones, who received or fetched
a case, reply threads, and erasure re-checks. Functions take a session first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Actor,
    Case,
    CaseImage,
    Comment,
    ContentTombstone,
    ErasureCheck,
    Follow,
)
from fediverse_cases.storage.models.federation import Delivery, ObjectFetch, Peer


async def get_case_by_ap_id(session: AsyncSession, ap_id: str) -> Case | None:
    return (await session.execute(select(Case).where(Case.ap_id == ap_id))).scalar_one_or_none()


async def get_comment_by_ap_id(session: AsyncSession, ap_id: str) -> Comment | None:
    return (await session.execute(select(Comment).where(Comment.ap_id == ap_id))).scalar_one_or_none()


async def get_actor(session: AsyncSession, actor_id: int) -> Actor | None:
    return await session.get(Actor, actor_id)


async def is_tombstoned(session: AsyncSession, ap_id: str) -> bool:
    found = await session.execute(select(ContentTombstone.id).where(ContentTombstone.ap_id == ap_id))
    return found.first() is not None


async def remember_tombstone(session: AsyncSession, ap_id: str, former_type: str, origin_host: str) -> None:
    if not await is_tombstoned(session, ap_id):
        session.add(ContentTombstone(ap_id=ap_id, former_type=former_type, origin_host=origin_host))


async def visible_reply_ids(session: AsyncSession, case_id: int) -> list[str]:
    """Ids of the case's visible comments (local and accepted remote), oldest first."""
    rows = await session.execute(
        select(Comment.ap_id)
        .where(Comment.case_id == case_id, Comment.state == "visible")
        .order_by(Comment.created_at, Comment.id)
    )
    return [r[0] for r in rows]


async def comments_of_case(session: AsyncSession, case_id: int) -> Sequence[Comment]:
    rows = await session.execute(select(Comment).where(Comment.case_id == case_id))
    return rows.scalars().all()


async def image_keys(session: AsyncSession, case_id: int) -> list[str]:
    rows = await session.execute(select(CaseImage.media_key).where(CaseImage.case_id == case_id))
    return [r[0] for r in rows if r[0]]


async def deliveries_of(session: AsyncSession, object_id: str) -> Sequence[Delivery]:
    rows = await session.execute(
        select(Delivery).where(Delivery.object_id == object_id).order_by(Delivery.id)
    )
    return rows.scalars().all()


async def fetches_of(session: AsyncSession, object_id: str) -> Sequence[ObjectFetch]:
    rows = await session.execute(select(ObjectFetch).where(ObjectFetch.object_id == object_id))
    return rows.scalars().all()


async def allowed_peers(session: AsyncSession) -> Sequence[Peer]:
    rows = await session.execute(select(Peer).where(Peer.state == "allowed").order_by(Peer.host))
    return rows.scalars().all()


async def get_peer(session: AsyncSession, host: str) -> Peer | None:
    return (await session.execute(select(Peer).where(Peer.host == host))).scalar_one_or_none()


async def followed_by_local(session: AsyncSession, actor_id: int) -> bool:
    """Whether any local actor follows ``actor_id`` (accepted follow)."""
    rows = await session.execute(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == actor_id, Follow.state == "accepted", Actor.is_local.is_(True))
        .limit(1)
    )
    return rows.first() is not None


async def erasure_checks(session: AsyncSession, case_id: int) -> dict[str, ErasureCheck]:
    rows = await session.execute(select(ErasureCheck).where(ErasureCheck.case_id == case_id))
    return {row.peer_host: row for row in rows.scalars()}


async def save_erasure_check(
    session: AsyncSession, case_id: int, peer_host: str, result: str, http_status: int | None, detail: str
) -> None:
    await session.execute(
        delete(ErasureCheck).where(ErasureCheck.case_id == case_id, ErasureCheck.peer_host == peer_host)
    )
    session.add(
        ErasureCheck(
            case_id=case_id, peer_host=peer_host, result=result, http_status=http_status, detail=detail[:500]
        )
    )
