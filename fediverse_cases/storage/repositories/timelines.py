"""Case lists in publication order for timelines and an author's statuses, paged by Mastodon's
``max_id``/``since_id``/``min_id`` (status ids resolved to a place in this order). Visibility is
the feeds' ``listable`` rule (``core.case_access`` in SQL). Functions take a session first and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Case, CaseTag, Follow
from fediverse_cases.storage.repositories.feeds import listable
from fediverse_cases.storage.repositories.groups import group_cases_of_member
from fediverse_cases.storage.repositories.id_pages import IdPage


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
        in_my_groups = Case.id.in_(group_cases_of_member(viewer_actor_id or 0))
        query = select(Case).where(
            or_(
                visible & or_(Case.author_actor_id.in_(followed), in_my_groups),
                mine & (Case.state != "withdrawn"),
            )
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
