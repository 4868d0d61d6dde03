"""Comments on a case: loading a case's thread with authors, finding one, adding one.

Functions take a session first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Account, Actor, Case, Comment


@dataclass
class CommentView:
    comment: Comment
    author: Actor
    author_account: Account | None
    replies: list[CommentView] = field(default_factory=list)


async def get_comment_by_public_id(session: AsyncSession, public_id: str) -> Comment | None:
    result = await session.execute(select(Comment).where(Comment.public_id == public_id))
    return result.scalar_one_or_none()


async def get_comment(session: AsyncSession, comment_id: int) -> Comment | None:
    return await session.get(Comment, comment_id)


async def thread(session: AsyncSession, case_id: int, *, include_hidden: bool) -> list[CommentView]:
    """Top-level comments oldest first, each with its replies; deleted ones are left out, hidden
    ones only when ``include_hidden`` (reviewers and the comment's author see them)."""
    states = ("visible", "hidden") if include_hidden else ("visible",)
    rows = await session.execute(
        select(Comment, Actor, Account)
        .join(Actor, Actor.id == Comment.author_actor_id)
        .outerjoin(Account, Account.id == Actor.account_id)
        .where(Comment.case_id == case_id, Comment.state.in_(states))
        .order_by(Comment.created_at, Comment.id)
    )
    views = [CommentView(comment, actor, account) for comment, actor, account in rows.all()]
    by_id = {view.comment.id: view for view in views}
    top: list[CommentView] = []
    for view in views:
        parent = by_id.get(view.comment.parent_id) if view.comment.parent_id else None
        if view.comment.parent_id is None:
            top.append(view)
        elif parent is not None:
            parent.replies.append(view)
        # A reply whose parent is hidden or deleted is not shown without its context.
    return top


def add_comment(session: AsyncSession, comment: Comment) -> Comment:
    session.add(comment)
    return comment


async def get_comment_by_ap_id(session: AsyncSession, ap_id: str) -> Comment | None:
    return (await session.execute(select(Comment).where(Comment.ap_id == ap_id))).scalar_one_or_none()


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


async def visible_comments(session: AsyncSession, case_id: int) -> Sequence[Comment]:
    result = await session.execute(
        select(Comment).where(Comment.case_id == case_id, Comment.state == "visible").order_by(Comment.id)
    )
    return result.scalars().all()


@dataclass(frozen=True)
class HeldComment:
    comment: Comment
    case: Case
    author: Actor


async def held_comments(session: AsyncSession, limit: int = 200) -> list[HeldComment]:
    """Comments waiting for a reviewer, oldest first, with their case and author."""
    rows = await session.execute(
        select(Comment, Case, Actor)
        .join(Case, Case.id == Comment.case_id)
        .join(Actor, Actor.id == Comment.author_actor_id)
        .where(Comment.state == "held")
        .order_by(Comment.created_at, Comment.id)
        .limit(limit)
    )
    return [HeldComment(comment, case, author) for comment, case, author in rows.all()]


async def count_held_comments(session: AsyncSession) -> int:
    rows = await session.execute(select(func.count()).select_from(Comment).where(Comment.state == "held"))
    return int(rows.scalar_one())


def mark_held(comment: Comment, reason: str, findings: list[list[object]], activity: str = "") -> None:
    """A comment waits for the reviewer: shown to nobody, sent nowhere (``core.comment_review``)."""
    comment.state = "held"
    comment.held_reason = reason
    comment.held_findings = findings
    comment.held_activity = activity
