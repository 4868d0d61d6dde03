"""Likes, local follows, flags and notifications. Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Actor,
    Case,
    Comment,
    Flag,
    Follow,
    Like,
    Notification,
)
from fediverse_cases.storage.repositories.id_pages import IdPage, run_id_page


async def get_like(session: AsyncSession, case_id: int, actor_id: int) -> Like | None:
    result = await session.execute(select(Like).where(Like.case_id == case_id, Like.actor_id == actor_id))
    return result.scalar_one_or_none()


async def count_likes(session: AsyncSession, case_id: int) -> int:
    return int(
        (await session.execute(select(func.count(Like.id)).where(Like.case_id == case_id))).scalar_one()
    )


async def get_follow(session: AsyncSession, follower_id: int, followed_id: int) -> Follow | None:
    result = await session.execute(
        select(Follow).where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    )
    return result.scalar_one_or_none()


async def delete_row(session: AsyncSession, row: object) -> None:
    await session.delete(row)
    await session.flush()


async def get_flag(session: AsyncSession, flag_id: int) -> Flag | None:
    return await session.get(Flag, flag_id)


@dataclass
class OpenFlag:
    flag: Flag
    case: Case
    comment: Comment | None
    reporter: Actor | None


async def open_flags(session: AsyncSession, *, limit: int = 200) -> list[OpenFlag]:
    rows = await session.execute(
        select(Flag, Case, Comment, Actor)
        .join(Case, Case.id == Flag.case_id)
        .outerjoin(Comment, Comment.id == Flag.comment_id)
        .outerjoin(Actor, Actor.id == Flag.reporter_actor_id)
        .where(Flag.state == "open")
        .order_by(Flag.created_at, Flag.id)
        .limit(limit)
    )
    return [OpenFlag(flag, case, comment, reporter) for flag, case, comment, reporter in rows.all()]


async def other_open_flags(session: AsyncSession, flag: Flag) -> Sequence[Flag]:
    """Open flags on the same case (or the same comment) besides ``flag``."""
    query = select(Flag).where(Flag.state == "open", Flag.id != flag.id, Flag.case_id == flag.case_id)
    if flag.comment_id is None:
        query = query.where(Flag.comment_id.is_(None))
    else:
        query = query.where(Flag.comment_id == flag.comment_id)
    return (await session.execute(query)).scalars().all()


async def count_notifications(session: AsyncSession, account_id: int, kind: str | None = None) -> int:
    query = select(func.count(Notification.id)).where(Notification.account_id == account_id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return int((await session.execute(query)).scalar_one())


async def liked_case_ids(session: AsyncSession, actor_id: int, case_ids: Sequence[int]) -> set[int]:
    if not case_ids:
        return set()
    result = await session.execute(
        select(Like.case_id).where(Like.actor_id == actor_id, Like.case_id.in_(list(case_ids)))
    )
    return set(result.scalars())


async def like_counts(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, int]:
    if not case_ids:
        return {}
    result = await session.execute(
        select(Like.case_id, func.count(Like.id))
        .where(Like.case_id.in_(list(case_ids)))
        .group_by(Like.case_id)
    )
    return {case_id: int(count) for case_id, count in result.all()}


async def likers_page(session: AsyncSession, case_id: int, page: IdPage) -> list[Like]:
    """Who liked a case, newest like first, paged by like id."""
    return await run_id_page(session, select(Like).where(Like.case_id == case_id), Like.id, page)
