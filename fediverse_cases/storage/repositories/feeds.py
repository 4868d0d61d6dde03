"""Lists of cases for feeds and the case page: keyset pagination and the "listable" SQL rule.

Owns the SQL form of ``core.case_access.can_view_case`` for lists (published, not hidden, public
unless the viewer is signed in), the (published_at, id) cursor, the feed queries (local,
following, tag, author), the specialties index and the loading of one case with everything its
page shows. Never OFFSET: every page is an index range scan from the cursor. Functions take a
session first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.storage.models import (
    Account,
    Actor,
    Case,
    CaseImage,
    CaseTag,
    Comment,
    Consent,
    Follow,
    Like,
)
from fediverse_cases.storage.repositories.cases import images_of_cases
from fediverse_cases.storage.repositories.groups import group_cases_of_member

PAGE_SIZE = 20


class BadCursor(ValueError):
    """The ``before`` parameter is not a cursor this server made."""


@dataclass(frozen=True)
class Cursor:
    """Position after the last case shown: (published_at, id), newest first."""

    published_at: datetime
    case_id: int

    def encode(self) -> str:
        micros = int(self.published_at.timestamp() * 1_000_000)
        return f"{micros}.{self.case_id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        micros, _, case_id = text.partition(".")
        if not (micros.isdigit() and case_id.isdigit()) or len(micros) > 18 or len(case_id) > 12:
            raise BadCursor(text)
        published_at = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
        return cls(published_at, int(case_id))


@dataclass
class CaseListing:
    """A case with what its card and page show."""

    case: Case
    author: Actor
    author_account: Account | None
    images: list[CaseImage] = field(default_factory=list)
    tags: list[CaseTag] = field(default_factory=list)
    comment_count: int = 0


@dataclass
class FeedPage:
    items: list[CaseListing]
    next_cursor: Cursor | None


def listable(*, signed_in: bool) -> ColumnElement[bool]:
    """``can_view_case`` for people other than the author and reviewers, in SQL."""
    return _listable(Case.state, signed_in=signed_in)


def _listable(state: ColumnElement[str], *, signed_in: bool) -> ColumnElement[bool]:
    conditions = [state == CaseState.PUBLISHED, Case.hidden.is_(False)]
    if not signed_in:
        conditions.append(Case.visibility == Visibility.PUBLIC)
    return and_(*conditions)


def _before(cursor: Cursor | None) -> ColumnElement[bool] | None:
    if cursor is None:
        return None
    # The redundant ``<=`` gives both planners a plain range on the feed index.
    return and_(
        Case.published_at <= cursor.published_at,
        or_(
            Case.published_at < cursor.published_at,
            and_(Case.published_at == cursor.published_at, Case.id < cursor.case_id),
        ),
    )


# A candidate set (a tag's cases, full-text matches) at most this big is fetched whole and
# sorted; a bigger one is filtered while walking the feed index newest first, which meets a page
# of matches after about ``limit * total / size`` index entries. Either way a page costs
# O(sqrt(total cases)) rows at worst, never a sort of every match.
SMALL_SET = 1500
# Following at most this many people: one "newest ``limit``" range per author on
# ix_cases_author_feed, merged; beyond it the feed index is walked with an author filter.
MAX_MERGED_AUTHORS = 64


def _ordered(query: Select[tuple[Case]], cursor: Cursor | None, limit: int) -> Select[tuple[Case]]:
    if (condition := _before(cursor)) is not None:
        query = query.where(condition)
    return query.order_by(Case.published_at.desc(), Case.id.desc()).limit(limit)


def _unindexed(column: ColumnElement[int]) -> ColumnElement[int]:
    """``column + 0``: the same value, but SQLite can no longer drive the query from it, so the
    planner walks the feed index in ORDER BY order instead of collecting every match and sorting."""
    return column + literal(0)


async def _more_than(session: AsyncSession, candidates: Select[tuple[int]], size: int) -> bool:
    counted = select(func.count()).select_from(candidates.limit(size + 1).subquery())
    return int((await session.execute(counted)).scalar_one()) > size


def _page_query(query: Select[tuple[Case]], cursor: Cursor | None, limit: int) -> Select[tuple]:
    """The page's ids are chosen in a derived table on (published_at, id) alone, so the planner
    sorts or walks only those; authors and comment counts are joined to the chosen rows only."""
    keys = _ordered(query.with_only_columns(Case.id, Case.published_at), cursor, limit).subquery("page")
    return (
        select(Case, Actor, Account, _visible_comments())
        .join(keys, keys.c.id == Case.id)
        .join(Actor, Actor.id == Case.author_actor_id)
        .outerjoin(Account, Account.id == Actor.account_id)
        .order_by(keys.c.published_at.desc(), keys.c.id.desc())
    )


async def page_of(
    session: AsyncSession, query: Select[tuple[Case]], cursor: Cursor | None, limit: int = PAGE_SIZE
) -> FeedPage:
    """Run a case query (already filtered) newest first from ``cursor``; one page plus the next cursor.

    Three round trips: the page's cases with authors and comment counts, its images, its tags.
    """
    rows = (await session.execute(_page_query(query, cursor, limit + 1))).all()
    more = len(rows) > limit
    items = [
        CaseListing(case, actor, account, comment_count=int(count or 0))
        for case, actor, account, count in rows[:limit]
    ]
    await _attach_media(session, items)
    last = items[-1].case if more and items else None
    next_cursor = Cursor(last.published_at, last.id) if last and last.published_at else None
    return FeedPage(items, next_cursor)


def _visible_comments() -> ColumnElement[int]:
    return (
        select(func.count(Comment.id))
        .where(Comment.case_id == Case.id, Comment.state == "visible")
        .correlate(Case)
        .scalar_subquery()
    )


async def hydrate_ids(session: AsyncSession, case_ids: Sequence[int]) -> list[CaseListing]:
    """Listings for ``case_ids`` in that order: cases with authors, accounts and comment counts in
    one query, then images and tags (two more)."""
    if not case_ids:
        return []
    rows = await session.execute(
        select(Case, Actor, Account, _visible_comments())
        .join(Actor, Actor.id == Case.author_actor_id)
        .outerjoin(Account, Account.id == Actor.account_id)
        .where(Case.id.in_(case_ids))
    )
    found = {case.id: (case, actor, account, count) for case, actor, account, count in rows.all()}
    listings = [
        CaseListing(case, actor, account, comment_count=int(count or 0))
        for case, actor, account, count in (found[case_id] for case_id in case_ids if case_id in found)
    ]
    await _attach_media(session, listings)
    return listings


async def _attach_media(session: AsyncSession, listings: list[CaseListing]) -> None:
    by_id = {listing.case.id: listing for listing in listings}
    if not by_id:
        return
    for case_id, images in (await images_of_cases(session, list(by_id))).items():
        by_id[case_id].images.extend(images)
    tag_rows = await session.execute(
        select(CaseTag).where(CaseTag.case_id.in_(by_id)).order_by(CaseTag.is_specialty.desc(), CaseTag.tag)
    )
    for tag in tag_rows.scalars():
        by_id[tag.case_id].tags.append(tag)


async def hydrate(session: AsyncSession, cases: Sequence[Case]) -> list[CaseListing]:
    """Load authors, images, tags and comment counts for ``cases`` in a fixed number of queries."""
    if not cases:
        return []
    case_ids = [case.id for case in cases]
    rows = await session.execute(
        select(Case.id, Actor, Account, _visible_comments())
        .join(Actor, Actor.id == Case.author_actor_id)
        .outerjoin(Account, Account.id == Actor.account_id)
        .where(Case.id.in_(case_ids))
    )
    extra = {case_id: (actor, account, count) for case_id, actor, account, count in rows.all()}
    listings = []
    for case in cases:
        actor, account, count = extra[case.id]
        listings.append(CaseListing(case, actor, account, comment_count=int(count or 0)))
    await _attach_media(session, listings)
    return listings


def local_feed_query(*, signed_in: bool) -> Select[tuple[Case]]:
    return select(Case).where(listable(signed_in=signed_in), Case.is_local.is_(True))


def following_feed_query(follower_actor_id: int) -> Select[tuple[Case]]:
    followed = select(Follow.followed_id).where(
        Follow.follower_id == follower_actor_id, Follow.state == "accepted"
    )
    return select(Case).where(listable(signed_in=True), Case.author_actor_id.in_(followed))


def tag_feed_query(tag: str, *, signed_in: bool) -> Select[tuple[Case]]:
    tagged = select(CaseTag.case_id).where(CaseTag.tag == tag)
    return select(Case).where(listable(signed_in=signed_in), Case.id.in_(tagged))


async def tag_feed(
    session: AsyncSession, tag: str, *, signed_in: bool, cursor: Cursor | None, limit: int = PAGE_SIZE
) -> FeedPage:
    tagged = select(CaseTag.case_id).where(CaseTag.tag == tag)
    return await candidates_page(session, tagged, signed_in=signed_in, cursor=cursor, limit=limit)


async def candidates_page(
    session: AsyncSession,
    candidates: Select[tuple[int]],
    *,
    signed_in: bool,
    cursor: Cursor | None,
    limit: int = PAGE_SIZE,
) -> FeedPage:
    """A page of the listable cases among ``candidates`` (a query of case ids), newest first.

    PostgreSQL's planner weighs the two plans from its statistics; SQLite's does not know how many
    candidates there are, so it is told: a small set drives the query (lookups and a sort of at
    most SMALL_SET rows), a big one is probed while walking the feed index.
    """
    if session.bind.dialect.name != "sqlite":
        query = select(Case).where(listable(signed_in=signed_in), Case.id.in_(candidates))
    elif await _more_than(session, candidates, SMALL_SET):
        query = select(Case).where(listable(signed_in=signed_in), _unindexed(Case.id).in_(candidates))
    else:
        # ``state || ''`` keeps SQLite (which, without ANALYZE statistics, would rather walk the
        # feed index) on the candidates: their rows are looked up by id and sorted.
        query = select(Case).where(
            _listable(Case.state + literal(""), signed_in=signed_in), Case.id.in_(candidates)
        )
    return await page_of(session, query, cursor, limit)


async def following_feed(
    session: AsyncSession, follower_actor_id: int, *, cursor: Cursor | None, limit: int = PAGE_SIZE
) -> FeedPage:
    followed = list(
        (
            await session.execute(
                select(Follow.followed_id).where(
                    Follow.follower_id == follower_actor_id, Follow.state == "accepted"
                )
            )
        ).scalars()
    )
    if not followed:
        return FeedPage([], None)
    in_my_groups = Case.id.in_(group_cases_of_member(follower_actor_id))
    if len(followed) > MAX_MERGED_AUTHORS:
        query = select(Case).where(
            listable(signed_in=True), or_(_unindexed(Case.author_actor_id).in_(followed), in_my_groups)
        )
        return await page_of(session, query, cursor, limit)
    # Newest page of each author (an ordered range of ix_cases_author_feed), merged by the outer
    # ORDER BY: at most limit + 1 rows per author are looked at, however old the page.
    mine = listable(signed_in=True)
    if session.bind.dialect.name == "sqlite":
        # ``coalesce(hidden, 0)`` leaves ix_cases_author_feed as the only index that gives the
        # author's cases in date order (without statistics SQLite would walk the feed index).
        mine = and_(Case.state == CaseState.PUBLISHED, func.coalesce(Case.hidden, literal(False)).is_(False))
    per_author = [
        _ordered(
            select(Case.id).where(mine, Case.author_actor_id == actor_id),
            cursor,
            limit + 1,
        ).subquery()
        for actor_id in followed
    ]
    # Cases posted in the groups they joined (a group is followed like a person).
    per_author.append(_ordered(select(Case.id).where(mine, in_my_groups), cursor, limit + 1).subquery())
    newest = union_all(*(select(part.c.id) for part in per_author))
    return await page_of(session, select(Case).where(Case.id.in_(newest)), cursor, limit)


def author_feed_query(actor_id: int, *, signed_in: bool) -> Select[tuple[Case]]:
    return select(Case).where(listable(signed_in=signed_in), Case.author_actor_id == actor_id)


@dataclass(frozen=True)
class SpecialtyCount:
    tag: str
    cases: int


async def specialties(session: AsyncSession, *, signed_in: bool) -> list[SpecialtyCount]:
    """Specialty tags that have at least one case the viewer may see, with counts."""
    rows = await session.execute(
        select(CaseTag.tag, func.count(CaseTag.case_id))
        .join(Case, Case.id == CaseTag.case_id)
        .where(CaseTag.is_specialty.is_(True), listable(signed_in=signed_in))
        .group_by(CaseTag.tag)
        .order_by(CaseTag.tag)
    )
    return [SpecialtyCount(tag, int(count)) for tag, count in rows.all()]


async def case_listing(session: AsyncSession, case: Case) -> CaseListing:
    return (await hydrate(session, [case]))[0]


@dataclass
class CasePage:
    """One case with everything its page shows besides the comment thread."""

    listing: CaseListing
    likes: int
    liked: bool
    consent_on_file: bool


async def case_page(session: AsyncSession, public_id: str, viewer_actor_id: int | None) -> CasePage | None:
    """The case, its author, comment and like counts, the viewer's like and the consent flag in
    one query; images and tags in two more. Visibility is the caller's to check."""
    likes = select(func.count(Like.id)).where(Like.case_id == Case.id).correlate(Case).scalar_subquery()
    liked = (
        exists().where(Like.case_id == Case.id, Like.actor_id == viewer_actor_id).correlate(Case)
        if viewer_actor_id is not None
        else literal(False)
    )
    consent = exists().where(Consent.case_id == Case.id).correlate(Case)
    row = (
        await session.execute(
            select(Case, Actor, Account, _visible_comments(), likes, liked, consent)
            .join(Actor, Actor.id == Case.author_actor_id)
            .outerjoin(Account, Account.id == Actor.account_id)
            .where(Case.public_id == public_id)
        )
    ).one_or_none()
    if row is None:
        return None
    case, actor, account, comments, like_count, viewer_liked, has_consent_row = row
    listing = CaseListing(case, actor, account, comment_count=int(comments or 0))
    return CasePage(
        listing, int(like_count or 0), bool(viewer_liked), bool(has_consent_row) and case.is_local
    )


async def attach_media(session: AsyncSession, listing: CaseListing) -> None:
    await _attach_media(session, [listing])


async def has_consent(session: AsyncSession, case_id: int) -> bool:
    result = await session.execute(select(Consent.id).where(Consent.case_id == case_id).limit(1))
    return result.scalar_one_or_none() is not None


async def has_case_with_caption(session: AsyncSession, author_actor_id: int, caption: str) -> bool:
    """For idempotent seeding: does this author already have a case with exactly this caption?"""
    result = await session.execute(
        select(Case.id).where(Case.author_actor_id == author_actor_id, Case.caption == caption).limit(1)
    )
    return result.scalar_one_or_none() is not None
