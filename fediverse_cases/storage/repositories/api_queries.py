"""Queries the client API needs beyond the page feeds: account counts, relationships, follow
requests, id-paginated case lists (Mastodon's ``max_id``/``since_id``/``min_id``), favourites
and notifications by id. Visibility is the feeds' ``listable`` rule (``core.case_access`` in SQL).

Functions take a session first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Account, Actor, Case, Comment, Follow, Like, Notification


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


@dataclass(frozen=True)
class AccountCounts:
    followers: int = 0
    following: int = 0
    statuses: int = 0


async def account_counts(session: AsyncSession, actor_ids: Sequence[int]) -> dict[int, AccountCounts]:
    if not actor_ids:
        return {}
    ids = list(set(actor_ids))
    followers = dict(
        (
            await session.execute(
                select(Follow.followed_id, func.count(Follow.id))
                .where(Follow.followed_id.in_(ids), Follow.state == "accepted")
                .group_by(Follow.followed_id)
            )
        ).all()
    )
    following = dict(
        (
            await session.execute(
                select(Follow.follower_id, func.count(Follow.id))
                .where(Follow.follower_id.in_(ids), Follow.state == "accepted")
                .group_by(Follow.follower_id)
            )
        ).all()
    )
    statuses = dict(
        (
            await session.execute(
                select(Case.author_actor_id, func.count(Case.id))
                .where(Case.author_actor_id.in_(ids), Case.state == "published", Case.hidden.is_(False))
                .group_by(Case.author_actor_id)
            )
        ).all()
    )
    return {
        actor_id: AccountCounts(
            int(followers.get(actor_id, 0)), int(following.get(actor_id, 0)), int(statuses.get(actor_id, 0))
        )
        for actor_id in ids
    }


async def actors_with_accounts(
    session: AsyncSession, actor_ids: Sequence[int]
) -> dict[int, tuple[Actor, Account | None]]:
    if not actor_ids:
        return {}
    result = await session.execute(
        select(Actor, Account)
        .outerjoin(Account, Account.id == Actor.account_id)
        .where(Actor.id.in_(list(set(actor_ids))))
    )
    return {row[0].id: (row[0], row[1]) for row in result.all()}


async def get_person_actor(session: AsyncSession, actor_id: int) -> Actor | None:
    """A person (not the instance's Service actor) by id."""
    actor = await session.get(Actor, actor_id)
    return actor if actor is not None and actor.actor_type == "Person" else None


async def find_actor_by_handle(session: AsyncSession, username: str, host: str | None) -> Actor | None:
    query = select(Actor).where(Actor.username == username, Actor.actor_type == "Person")
    query = query.where(Actor.is_local.is_(True)) if host is None else query.where(Actor.host == host)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def search_actors(session: AsyncSession, text: str, *, limit: int) -> Sequence[Actor]:
    pattern = f"%{text.replace('%', '').replace('_', '').lower()}%"
    result = await session.execute(
        select(Actor)
        .where(
            Actor.actor_type == "Person",
            or_(func.lower(Actor.username).like(pattern), func.lower(Actor.display_name).like(pattern)),
        )
        .order_by(Actor.is_local.desc(), Actor.id)
        .limit(limit)
    )
    return result.scalars().all()


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


async def cases_page(session: AsyncSession, query: Select[tuple[Case]], page: IdPage) -> list[Case]:
    return await run_id_page(session, query, Case.id, page)


def own_cases_query(actor_id: int) -> Select[tuple[Case]]:
    return select(Case).where(Case.author_actor_id == actor_id, Case.state != "withdrawn")


async def visible_comments(session: AsyncSession, case_id: int) -> Sequence[Comment]:
    result = await session.execute(
        select(Comment).where(Comment.case_id == case_id, Comment.state == "visible").order_by(Comment.id)
    )
    return result.scalars().all()


async def notifications_page(session: AsyncSession, account_id: int, page: IdPage) -> list[Notification]:
    query = select(Notification).where(Notification.account_id == account_id)
    return await run_id_page(session, query, Notification.id, page)


async def get_notification(
    session: AsyncSession, account_id: int, notification_id: int
) -> Notification | None:
    notification = await session.get(Notification, notification_id)
    return notification if notification is not None and notification.account_id == account_id else None
