"""Follows between actors (local and remote): lookups, follower inboxes, counts, requests.
Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Actor,
    Follow,
)
from fediverse_cases.storage.repositories.id_pages import IdPage, run_id_page


async def get_follow_by_activity(session: AsyncSession, activity_uri: str) -> Follow | None:
    rows = await session.execute(select(Follow).where(Follow.activity_uri == activity_uri))
    return rows.scalar_one_or_none()


async def follower_inbox_rows(session: AsyncSession, actor_id: int) -> list[tuple[str, str]]:
    """(shared inbox, personal inbox) of the accepted remote followers of a local actor."""
    rows = await session.execute(
        select(Actor.shared_inbox_url, Actor.inbox_url)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(Follow.followed_id == actor_id, Follow.state == "accepted", Actor.is_local.is_(False))
    )
    return [(shared, personal) for shared, personal in rows.all()]


async def follow_counts(session: AsyncSession, actor_id: int) -> tuple[int, int]:
    followers = await session.execute(
        select(func.count(Follow.id)).where(Follow.followed_id == actor_id, Follow.state == "accepted")
    )
    following = await session.execute(
        select(func.count(Follow.id)).where(Follow.follower_id == actor_id, Follow.state == "accepted")
    )
    return int(followers.scalar_one()), int(following.scalar_one())


async def follows_of(session: AsyncSession, follower_id: int) -> Sequence[tuple[Follow, Actor]]:
    rows = await session.execute(
        select(Follow, Actor)
        .join(Actor, Actor.id == Follow.followed_id)
        .where(Follow.follower_id == follower_id)
        .order_by(Follow.created_at.desc())
    )
    return [(follow, actor) for follow, actor in rows.all()]


async def delete_follow(session: AsyncSession, follow_id: int) -> None:
    await session.execute(delete(Follow).where(Follow.id == follow_id))


async def followed_by_local(session: AsyncSession, actor_id: int) -> bool:
    """Whether any local actor follows ``actor_id`` (accepted follow)."""
    rows = await session.execute(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == actor_id, Follow.state == "accepted", Actor.is_local.is_(True))
        .limit(1)
    )
    return rows.first() is not None


async def follows_between(
    session: AsyncSession, actor_id: int, other_ids: Sequence[int]
) -> tuple[dict[int, Follow], dict[int, Follow]]:
    """(follows from ``actor_id`` keyed by followed id, follows to ``actor_id`` keyed by follower id)."""
    if not other_ids:
        return {}, {}
    outgoing = await session.execute(
        select(Follow).where(Follow.follower_id == actor_id, Follow.followed_id.in_(list(other_ids)))
    )
    incoming = await session.execute(
        select(Follow).where(Follow.followed_id == actor_id, Follow.follower_id.in_(list(other_ids)))
    )
    return (
        {follow.followed_id: follow for follow in outgoing.scalars()},
        {follow.follower_id: follow for follow in incoming.scalars()},
    )


async def pending_follow_requests(session: AsyncSession, actor_id: int, page: IdPage) -> list[Follow]:
    query = select(Follow).where(Follow.followed_id == actor_id, Follow.state == "pending")
    return await run_id_page(session, query, Follow.id, page)


async def accepted_follows_page(
    session: AsyncSession, actor_id: int, page: IdPage, *, followers: bool
) -> list[Follow]:
    """Accepted follows of (``followers``) or by an actor, newest first, paged by follow id."""
    column = Follow.followed_id if followers else Follow.follower_id
    query = select(Follow).where(column == actor_id, Follow.state == "accepted")
    return await run_id_page(session, query, Follow.id, page)
