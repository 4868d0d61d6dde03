"""Queries about groups: hosted groups by slug, moderators, members, and posts in a group."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Account,
    Actor,
    Case,
    Comment,
    Follow,
    Group,
    GroupModerator,
    GroupPost,
)


async def get_group_by_slug(db: AsyncSession, slug: str) -> tuple[Group, Actor] | None:
    row = (
        await db.execute(
            select(Group, Actor)
            .join(Actor, Actor.id == Group.actor_id)
            .where(Group.slug == slug.strip().lower())
        )
    ).first()
    return (row[0], row[1]) if row else None


async def get_group_by_actor(db: AsyncSession, actor_id: int) -> Group | None:
    return (await db.execute(select(Group).where(Group.actor_id == actor_id))).scalar_one_or_none()


async def list_groups(db: AsyncSession) -> list[tuple[Group, Actor]]:
    rows = await db.execute(select(Group, Actor).join(Actor, Actor.id == Group.actor_id).order_by(Group.slug))
    return [(g, a) for g, a in rows]


async def moderators(db: AsyncSession, group_id: int) -> Sequence[Account]:
    rows = await db.execute(
        select(Account)
        .join(GroupModerator, GroupModerator.account_id == Account.id)
        .where(GroupModerator.group_id == group_id)
        .order_by(Account.username)
    )
    return rows.scalars().all()


async def moderator_actor_uris(db: AsyncSession, group_id: int) -> list[str]:
    rows = await db.execute(
        select(Actor.uri)
        .join(GroupModerator, GroupModerator.account_id == Actor.account_id)
        .where(GroupModerator.group_id == group_id)
        .order_by(Actor.uri)
    )
    return list(rows.scalars())


async def is_moderator(db: AsyncSession, group_id: int, account_id: int) -> bool:
    row = await db.execute(
        select(GroupModerator.id).where(
            GroupModerator.group_id == group_id, GroupModerator.account_id == account_id
        )
    )
    return row.first() is not None


async def members(
    db: AsyncSession, group_actor_id: int, state: str = "accepted"
) -> list[tuple[Follow, Actor]]:
    rows = await db.execute(
        select(Follow, Actor)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == group_actor_id, Follow.state == state)
        .order_by(Follow.id)
    )
    return [(f, a) for f, a in rows]


async def is_member(db: AsyncSession, group_actor_id: int, actor_id: int) -> bool:
    row = await db.execute(
        select(Follow.id).where(
            Follow.followed_id == group_actor_id, Follow.follower_id == actor_id, Follow.state == "accepted"
        )
    )
    return row.first() is not None


async def groups_joined(db: AsyncSession, actor_id: int) -> list[tuple[Follow, Actor]]:
    """Groups (local or remote) an actor follows, with the follow's state."""
    rows = await db.execute(
        select(Follow, Actor)
        .join(Actor, Actor.id == Follow.followed_id)
        .where(Follow.follower_id == actor_id, Actor.actor_type == "Group")
        .order_by(Actor.username)
    )
    return [(f, a) for f, a in rows]


async def followed_by_local_member(db: AsyncSession, group_actor_id: int) -> bool:
    row = await db.execute(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == group_actor_id, Follow.state == "accepted", Actor.is_local.is_(True))
        .limit(1)
    )
    return row.first() is not None


async def get_post(db: AsyncSession, group_actor_id: int, object_ap_id: str) -> GroupPost | None:
    row = await db.execute(
        select(GroupPost).where(
            GroupPost.group_actor_id == group_actor_id, GroupPost.object_ap_id == object_ap_id
        )
    )
    return row.scalar_one_or_none()


async def posts_of_case(db: AsyncSession, case_id: int) -> Sequence[GroupPost]:
    return (await db.execute(select(GroupPost).where(GroupPost.case_id == case_id))).scalars().all()


async def post_by_announce(db: AsyncSession, announce_id: str) -> GroupPost | None:
    row = await db.execute(select(GroupPost).where(GroupPost.announce_id == announce_id))
    return row.scalars().first()


async def recent_cases(
    db: AsyncSession, group_actor_id: int, *, limit: int = 20
) -> list[tuple[GroupPost, Case]]:
    """Cases shown in the group (not removed), newest first."""
    rows = await db.execute(
        select(GroupPost, Case)
        .join(Case, Case.id == GroupPost.case_id)
        .where(
            GroupPost.group_actor_id == group_actor_id,
            GroupPost.state.in_(("announced", "received")),
            Case.state == "published",
        )
        .order_by(GroupPost.id.desc())
        .limit(limit)
    )
    return [(p, c) for p, c in rows]


async def get_membership(db: AsyncSession, actor_id: int, group_actor_id: int) -> Follow | None:
    row = await db.execute(
        select(Follow).where(Follow.follower_id == actor_id, Follow.followed_id == group_actor_id)
    )
    return row.scalar_one_or_none()


def visible_case_ids(group_actor_id: int) -> Select[tuple[int]]:
    """Ids of the cases shown in a group (announced by it here, or received from it)."""
    return select(GroupPost.case_id).where(
        GroupPost.group_actor_id == group_actor_id,
        GroupPost.case_id.is_not(None),
        GroupPost.state.in_(("announced", "received")),
    )


async def count_announced(db: AsyncSession, group_actor_id: int) -> int:
    row = await db.execute(
        select(func.count(GroupPost.id)).where(
            GroupPost.group_actor_id == group_actor_id, GroupPost.state == "announced"
        )
    )
    return int(row.scalar_one())


async def active_discussions(db: AsyncSession, group_actor_id: int, *, limit: int) -> list[tuple[Case, int]]:
    """The group's cases with the most recent visible comments, with their comment counts."""
    latest = func.max(Comment.created_at)
    rows = await db.execute(
        select(Case, func.count(Comment.id))
        .join(Comment, Comment.case_id == Case.id)
        .where(
            Case.id.in_(visible_case_ids(group_actor_id)),
            Comment.state == "visible",
            Case.state == "published",
        )
        .group_by(Case.id)
        .order_by(latest.desc())
        .limit(limit)
    )
    return [(case, int(count)) for case, count in rows]


async def group_actors_of_case(db: AsyncSession, case_id: int) -> list[Actor]:
    """The groups (local or remote) a case is posted to, unless removed from them."""
    rows = await db.execute(
        select(Actor)
        .join(GroupPost, GroupPost.group_actor_id == Actor.id)
        .where(GroupPost.case_id == case_id, GroupPost.state != "removed")
        .order_by(GroupPost.id)
    )
    return list(rows.scalars())


async def group_actors_of_cases(db: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[Actor]]:
    """``group_actors_of_case`` for many cases in one query."""
    groups: dict[int, list[Actor]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        rows = await db.execute(
            select(GroupPost.case_id, Actor)
            .join(GroupPost, GroupPost.group_actor_id == Actor.id)
            .where(GroupPost.case_id.in_(tuple(case_ids)), GroupPost.state != "removed")
            .order_by(GroupPost.id)
        )
        for case_id, group in rows:
            groups[case_id].append(group)
    return groups


def group_cases_of_member(actor_id: int) -> Select[tuple[int]]:
    """Ids of the cases shown in the groups ``actor_id`` belongs to (their home feed has them)."""
    joined = select(Follow.followed_id).where(Follow.follower_id == actor_id, Follow.state == "accepted")
    return select(GroupPost.case_id).where(
        GroupPost.group_actor_id.in_(joined),
        GroupPost.case_id.is_not(None),
        GroupPost.state.in_(("announced", "received")),
    )


async def local_groups_that_announced(db: AsyncSession, object_id: str) -> list[Actor]:
    rows = await db.execute(
        select(Actor)
        .join(GroupPost, GroupPost.group_actor_id == Actor.id)
        .where(GroupPost.object_ap_id == object_id, GroupPost.state == "announced", Actor.is_local.is_(True))
    )
    return list(rows.scalars())
