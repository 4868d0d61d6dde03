"""Queries the client API needs beyond the page feeds: account counts, relationships, follow
requests, case lists in publication order paged by Mastodon's ``max_id``/``since_id``/``min_id``, favourites
and notifications by id. Visibility is the feeds' ``listable`` rule (``core.case_access`` in SQL).

Functions take a session first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Account, Actor, Case, CaseTag, Comment, Follow, Like, Notification
from fediverse_cases.storage.repositories.feeds import listable


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
    # LIKE wildcards in what was typed are literal characters (dr_ada has an underscore).
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    result = await session.execute(
        select(Actor)
        .where(
            Actor.actor_type == "Person",
            or_(
                func.lower(Actor.username).like(pattern, escape="\\"),
                func.lower(Actor.display_name).like(pattern, escape="\\"),
            ),
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


def publication_key(*, include_unpublished: bool = False) -> ColumnElement[Any]:
    """What timelines sort by. Published-only lists use ``published_at`` (the feed index); a list
    that may hold the caller's own unpublished cases falls back to ``created_at`` for those."""
    if include_unpublished:
        return func.coalesce(Case.published_at, Case.created_at)
    return Case.published_at


async def _cursor_condition(
    session: AsyncSession, key: ColumnElement[Any], case_id: int, *, before: bool
) -> ColumnElement[bool]:
    """Rows strictly before (older) or after (newer) case ``case_id`` in (key, id) order. A
    cursor naming no case (purged, or not a case id) falls back to comparing ids alone."""
    value = (await session.execute(select(key).where(Case.id == case_id))).scalar_one_or_none()
    if value is None:
        return Case.id < case_id if before else Case.id > case_id
    if before:
        return or_(key < value, and_(key == value, Case.id < case_id))
    return or_(key > value, and_(key == value, Case.id > case_id))


async def cases_page(
    session: AsyncSession, query: Select[tuple[Case]], page: IdPage, key: ColumnElement[Any] | None = None
) -> list[Case]:
    """Newest publication first. ``page`` holds case ids (from status ids); each is resolved to
    that case's (published_at, id), so a case approved late, whose id is old, still reaches a
    client polling with ``since_id``."""
    key = Case.published_at if key is None else key
    if page.max_id is not None:
        query = query.where(await _cursor_condition(session, key, page.max_id, before=True))
    if page.since_id is not None:
        query = query.where(await _cursor_condition(session, key, page.since_id, before=False))
    if page.min_id is not None:
        query = query.where(await _cursor_condition(session, key, page.min_id, before=False))
        rows = list(
            (await session.execute(query.order_by(key.asc(), Case.id.asc()).limit(page.limit))).scalars()
        )
        rows.reverse()
        return rows
    return list(
        (await session.execute(query.order_by(key.desc(), Case.id.desc()).limit(page.limit))).scalars()
    )


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


def timeline_query(
    kind: str,
    *,
    viewer_actor_id: int | None,
    signed_in: bool,
    author_actor_id: int | None = None,
    tag: str = "",
    origin: str = "",
) -> tuple[Select[tuple[Case]], ColumnElement[Any]]:
    """The cases of one client-API timeline and the ordering key to page it by.

    ``kind`` is home (followed people's listable cases plus your own non-withdrawn ones), author,
    tag or public; ``origin`` narrows public to "local" or "remote" cases.
    """
    visible = listable(signed_in=signed_in)
    key = publication_key()
    if kind == "home":
        followed = select(Follow.followed_id).where(
            Follow.follower_id == viewer_actor_id, Follow.state == "accepted"
        )
        mine = Case.author_actor_id == viewer_actor_id
        query = select(Case).where(
            or_(visible & Case.author_actor_id.in_(followed), mine & (Case.state != "withdrawn"))
        )
        return query, publication_key(include_unpublished=True)
    if kind == "author":
        query = select(Case).where(Case.author_actor_id == author_actor_id)
        if viewer_actor_id is not None and viewer_actor_id == author_actor_id:
            return query.where(Case.state != "withdrawn"), publication_key(include_unpublished=True)
        return query.where(visible), key
    if kind == "tag":
        tagged = select(CaseTag.case_id).where(CaseTag.tag == tag.lower())
        return select(Case).where(visible, Case.id.in_(tagged)), key
    query = select(Case).where(visible)
    if origin == "local":
        query = query.where(Case.is_local.is_(True))
    elif origin == "remote":
        query = query.where(Case.is_local.is_(False))
    return query, key
