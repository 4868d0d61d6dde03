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

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.storage.models import Account, Actor, Case, CaseImage, CaseTag, Comment, Consent, Follow

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
    conditions = [Case.state == CaseState.PUBLISHED, Case.hidden.is_(False)]
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


async def page_of(
    session: AsyncSession, query: Select[tuple[Case]], cursor: Cursor | None, limit: int = PAGE_SIZE
) -> FeedPage:
    """Run a case query (already filtered) newest first from ``cursor``; one page plus the next cursor."""
    if (condition := _before(cursor)) is not None:
        query = query.where(condition)
    query = query.order_by(Case.published_at.desc(), Case.id.desc()).limit(limit + 1)
    cases = list((await session.execute(query)).scalars())
    more = len(cases) > limit
    cases = cases[:limit]
    items = await hydrate(session, cases)
    last = cases[-1] if more and cases else None
    next_cursor = Cursor(last.published_at, last.id) if last and last.published_at else None
    return FeedPage(items, next_cursor)


async def hydrate(session: AsyncSession, cases: Sequence[Case]) -> list[CaseListing]:
    """Load authors, images, tags and comment counts for ``cases`` in a fixed number of queries."""
    if not cases:
        return []
    case_ids = [case.id for case in cases]
    actor_ids = {case.author_actor_id for case in cases}
    actors = {
        actor.id: actor
        for actor in (await session.execute(select(Actor).where(Actor.id.in_(actor_ids)))).scalars()
    }
    account_ids = {actor.account_id for actor in actors.values() if actor.account_id is not None}
    accounts = {
        account.id: account
        for account in (await session.execute(select(Account).where(Account.id.in_(account_ids)))).scalars()
    }
    images: dict[int, list[CaseImage]] = {case_id: [] for case_id in case_ids}
    image_rows = await session.execute(
        select(CaseImage).where(CaseImage.case_id.in_(case_ids)).order_by(CaseImage.position, CaseImage.id)
    )
    for image in image_rows.scalars():
        images[image.case_id].append(image)
    tags: dict[int, list[CaseTag]] = {case_id: [] for case_id in case_ids}
    tag_rows = await session.execute(
        select(CaseTag)
        .where(CaseTag.case_id.in_(case_ids))
        .order_by(CaseTag.is_specialty.desc(), CaseTag.tag)
    )
    for tag in tag_rows.scalars():
        tags[tag.case_id].append(tag)
    counts = dict(
        (
            await session.execute(
                select(Comment.case_id, func.count(Comment.id))
                .where(Comment.case_id.in_(case_ids), Comment.state == "visible")
                .group_by(Comment.case_id)
            )
        ).all()
    )
    listings = []
    for case in cases:
        author = actors[case.author_actor_id]
        account = accounts.get(author.account_id) if author.account_id is not None else None
        listings.append(
            CaseListing(case, author, account, images[case.id], tags[case.id], int(counts.get(case.id, 0)))
        )
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


async def get_case_by_public_id(session: AsyncSession, public_id: str) -> Case | None:
    result = await session.execute(select(Case).where(Case.public_id == public_id))
    return result.scalar_one_or_none()


async def get_case(session: AsyncSession, case_id: int) -> Case | None:
    return await session.get(Case, case_id)


async def case_listing(session: AsyncSession, case: Case) -> CaseListing:
    return (await hydrate(session, [case]))[0]


async def has_consent(session: AsyncSession, case_id: int) -> bool:
    result = await session.execute(select(Consent.id).where(Consent.case_id == case_id).limit(1))
    return result.scalar_one_or_none() is not None


async def has_case_with_caption(session: AsyncSession, author_actor_id: int, caption: str) -> bool:
    """For idempotent seeding: does this author already have a case with exactly this caption?"""
    result = await session.execute(
        select(Case.id).where(Case.author_actor_id == author_actor_id, Case.caption == caption).limit(1)
    )
    return result.scalar_one_or_none() is not None
