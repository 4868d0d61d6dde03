"""Comments on cases by verified professionals: post, reply (one level), edit, delete, remove.

Every text is scanned for identifiers first. Findings come back to the author for highlighting
(``CommentError`` with ``findings``, nothing written); an author who sends it anyway
(``send_for_review``) gets it held for the reviewer (``core.comment_review``), shown to nobody
else and sent nowhere until approved (``services.comment_review``). Each function works inside
the caller's transaction, writes the audit entry and notifications, and federates there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import can_post_and_comment, can_review
from fediverse_cases.core.case_access import CaseState, Viewer
from fediverse_cases.core.comment_review import findings_json, hold_decision
from fediverse_cases.deidentify import PhiFinding, scan_text
from fediverse_cases.federation import publish
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.social import SocialError, require_visible
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, Actor, Case, Comment
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories.audit import record
from fediverse_cases.storage.repositories.cases import add_notification
from fediverse_cases.storage.repositories.comments import mark_held

MAX_COMMENT_LENGTH = 5000


@dataclass
class CommentError(Exception):
    status: int
    message: str
    findings: list[PhiFinding] = field(default_factory=list)


IDENTIFIERS_MESSAGE = (
    "This text may contain patient identifiers (highlighted). Remove them, or send it to the "
    "privacy officer, who decides before anyone else sees it."
)


def _checked_text(content: str, *, send_for_review: bool) -> tuple[str, list[PhiFinding]]:
    """The text to store and its findings; findings refuse it unless the author insists."""
    content = content.strip()
    if not content:
        raise CommentError(422, "Write something first.")
    if len(content) > MAX_COMMENT_LENGTH:
        raise CommentError(422, f"Keep comments under {MAX_COMMENT_LENGTH} characters.")
    findings = scan_text(content)
    if findings and not send_for_review:
        raise CommentError(422, IDENTIFIERS_MESSAGE, findings)
    return content, findings


def _hold(
    state: AppState, comment: Comment, findings: list[PhiFinding], account_since: datetime | None
) -> bool:
    """Mark the comment held when the rules say so; True when it was."""
    decision = hold_decision(
        (f.category for f in findings),
        account_since=account_since,
        now=utcnow(),
        new_account_days=state.settings.moderation.hold_comments_of_new_accounts_days,
    )
    if decision.hold:
        mark_held(comment, decision.reason, findings_json((f.start, f.end, f.category) for f in findings))
    return decision.hold


async def post_comment(
    db: AsyncSession,
    state: AppState,
    account: Account,
    actor: Actor,
    viewer: Viewer,
    case: Case | None,
    content: str,
    parent: Comment | None,
    operator: Operator,
    *,
    send_for_review: bool = False,
) -> Comment:
    if not can_post_and_comment(account):
        raise CommentError(403, "Only verified healthcare professionals comment.")
    try:
        case = require_visible(viewer, case)
    except SocialError as error:
        raise CommentError(error.status, error.message) from error
    if case.state != CaseState.PUBLISHED or case.hidden:
        raise CommentError(409, "Comments open once the case is published.")
    text, findings = _checked_text(content, send_for_review=send_for_review)
    replied_to = parent
    if parent is not None:
        if parent.case_id != case.id or parent.state != "visible":
            raise CommentError(422, "That comment cannot be replied to.")
        # Threads are one level deep: a reply to a reply joins its top-level comment.
        if parent.parent_id is not None:
            parent = await db.get(Comment, parent.parent_id)
            assert parent is not None
    public_id = secrets.token_urlsafe(12)
    comment = Comment(
        public_id=public_id,
        ap_id=state.urls.comment(public_id),
        case_id=case.id,
        parent_id=parent.id if parent is not None else None,
        author_actor_id=actor.id,
        is_local=True,
        content=text,
        state="visible",
    )
    held = _hold(state, comment, findings, account.created_at)
    db.add(comment)
    await db.flush()
    action = "comment.hold" if held else "comment.create"
    details = {"reason": comment.held_reason} if held else {}
    record(
        db,
        operator.entry(action, target_type="comment", target_id=public_id, case_id=case.id, details=details),
    )
    if not held:
        await notify_new_comment(db, case, comment, replied_to, actor)
        # A recipient's comment answers the pages on this case (the first tells the requester).
        await paging_repo.record_answers(db, comment, actor)
        await publish.comment_created(db, state, comment, case)
    return comment


async def notify_new_comment(
    db: AsyncSession, case: Case, comment: Comment, replied_to: Comment | None, actor: Actor
) -> None:
    """The author of the comment replied to (even if the reply joined its thread's top) and the
    case's author, once each, never the commenter."""
    told: set[int] = set()
    recipients: list[tuple[int | None, str]] = []
    if replied_to is not None:
        parent_author = await db.get(Actor, replied_to.author_actor_id)
        recipients.append((parent_author.account_id if parent_author else None, "reply"))
    case_author = await db.get(Actor, case.author_actor_id)
    recipients.append((case_author.account_id if case_author else None, "comment"))
    for account_id, kind in recipients:
        if account_id is None or account_id == actor.account_id or account_id in told:
            continue
        told.add(account_id)
        add_notification(
            db,
            account_id=account_id,
            kind=kind,
            case_id=case.id,
            comment_id=comment.id,
            from_actor_id=actor.id,
            message=f"{actor.username} {'replied to your comment' if kind == 'reply' else 'commented on your case'}",
        )


def _own_comment(actor: Actor, comment: Comment | None) -> Comment:
    if comment is None or comment.state == "deleted":
        raise CommentError(404, "No such comment.")
    if comment.author_actor_id != actor.id:
        raise CommentError(403, "You can only change your own comments.")
    return comment


async def edit_comment(
    db: AsyncSession,
    state: AppState,
    account: Account,
    actor: Actor,
    comment: Comment | None,
    case: Case,
    content: str,
    operator: Operator,
    *,
    send_for_review: bool = False,
) -> Comment:
    if not can_post_and_comment(account):
        raise CommentError(403, "Only verified healthcare professionals comment.")
    comment = _own_comment(actor, comment)
    text, findings = _checked_text(content, send_for_review=send_for_review)
    comment.content = text
    comment.edited_at = utcnow()
    # An edit with findings waits for the reviewer; peers keep the earlier text until then.
    held = bool(findings) and _hold(state, comment, findings, account.created_at)
    await db.flush()
    record(
        db,
        operator.entry(
            "comment.hold" if held else "comment.edit",
            target_type="comment",
            target_id=comment.public_id,
            case_id=case.id,
        ),
    )
    if not held:
        await publish.comment_updated(db, state, comment, case)
    return comment


async def delete_comment(
    db: AsyncSession,
    state: AppState,
    account: Account,
    actor: Actor | None,
    comment: Comment | None,
    case: Case,
    operator: Operator,
) -> Comment:
    """Authors delete their own; reviewers remove anyone's. The text is erased either way."""
    if comment is None or comment.state == "deleted":
        raise CommentError(404, "No such comment.")
    own = actor is not None and comment.author_actor_id == actor.id
    if not own and not can_review(account):
        raise CommentError(403, "You can only delete your own comments.")
    comment.state = "deleted"
    comment.content = ""
    comment.content_html = ""
    await db.flush()
    action = "comment.delete" if own else "comment.remove"
    record(db, operator.entry(action, target_type="comment", target_id=comment.public_id, case_id=case.id))
    await publish.comment_deleted(db, state, comment, case)
    return comment
