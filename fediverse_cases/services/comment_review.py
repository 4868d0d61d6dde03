"""The reviewer's decisions on held comments (``core.comment_review`` says which are held).

Approving shows the comment and sends it on as if it had just been written: a local comment
federates like any other, a remote one on our case is forwarded unchanged (its author's proof
intact) to everyone who holds the case. Rejecting erases the text; a local author is told why.
Both are audited. Each works inside the caller's transaction.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import can_review
from fediverse_cases.federation import publish, threads
from fediverse_cases.services.comments import CommentError, notify_new_comment
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, Actor, Case, Comment
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories.audit import record
from fediverse_cases.storage.repositories.cases import add_notification
from fediverse_cases.storage.repositories.deliveries import deliveries_of

log = logging.getLogger(__name__)


async def _held(db: AsyncSession, reviewer: Account, comment: Comment | None) -> tuple[Comment, Case, Actor]:
    if not can_review(reviewer):
        raise CommentError(403, "Only reviewers decide on held comments.")
    if comment is None or comment.state != "held":
        raise CommentError(404, "That comment is not waiting for review.")
    case = await db.get(Case, comment.case_id)
    author = await db.get(Actor, comment.author_actor_id)
    assert case is not None and author is not None
    return comment, case, author


async def approve_comment(
    db: AsyncSession, state: AppState, reviewer: Account, comment: Comment | None, operator: Operator
) -> Comment:
    comment, case, author = await _held(db, reviewer, comment)
    comment.state = "visible"
    reason, comment.held_reason, comment.held_findings = comment.held_reason, "", None
    activity, comment.held_activity = comment.held_activity, ""
    await db.flush()
    record(
        db,
        operator.entry(
            "comment.approve",
            target_type="comment",
            target_id=comment.public_id,
            case_id=case.id,
            details={"held_because": reason},
        ),
    )
    parent = await db.get(Comment, comment.parent_id) if comment.parent_id else None
    await notify_new_comment(db, case, comment, parent, author)
    # Once visible, a page recipient's comment answers the page (as if just written).
    await paging_repo.record_answers(db, comment, author)
    if comment.is_local:
        if comment.edited_at is not None and comment.ap_id and await _was_sent(db, comment):
            await publish.comment_updated(db, state, comment, case)
        else:
            await publish.comment_created(db, state, comment, case)
    elif activity and case.is_local:
        await threads.forward_reply(db, state, case, json.loads(activity), author)
    return comment


async def _was_sent(db: AsyncSession, comment: Comment) -> bool:
    return any(d.activity_type == "Create" for d in await deliveries_of(db, comment.ap_id))


async def reject_comment(
    db: AsyncSession,
    state: AppState,
    reviewer: Account,
    comment: Comment | None,
    operator: Operator,
    reason: str,
) -> Comment:
    comment, case, author = await _held(db, reviewer, comment)
    reason = reason.strip()[:500]
    if not reason:
        raise CommentError(422, "Give a reason; a local author sees it.")
    comment.state = "deleted"
    comment.content = comment.content_html = comment.held_activity = ""
    comment.held_findings = None
    await db.flush()
    record(
        db,
        operator.entry(
            "comment.reject",
            target_type="comment",
            target_id=comment.public_id,
            case_id=case.id,
            details={"reason": reason},
        ),
    )
    if author.account_id is not None:
        add_notification(
            db,
            account_id=author.account_id,
            kind="comment_rejected",
            case_id=case.id,
            message=f"Your comment was not published: {reason}",
        )
    return comment
