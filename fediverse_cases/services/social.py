"""Likes, local follows and flags: who may do them, what changes, what is audited and federated.

Each function works inside the caller's transaction (``db``), calls the matching federation
hook there, and raises ``SocialError`` (an HTTP status and a message) when the request is refused;
nothing is written in that case.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import can_review
from fediverse_cases.core.case_access import Viewer, can_view_case, case_facts
from fediverse_cases.federation import publish
from fediverse_cases.services import groups
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, Actor, Case, Comment, Flag, Follow, Like
from fediverse_cases.storage.repositories import social as social_repo
from fediverse_cases.storage.repositories.audit import record
from fediverse_cases.storage.repositories.cases import add_notification

MAX_FLAG_REASON = 1000


@dataclass
class SocialError(Exception):
    status: int
    message: str


def viewer_for(account: Account | None, actor: Actor | None) -> Viewer:
    if account is None:
        return Viewer()
    return Viewer(
        account_id=account.id,
        actor_id=actor.id if actor is not None else None,
        is_reviewer=can_review(account),
    )


def require_visible(viewer: Viewer, case: Case | None) -> Case:
    """The case, or a 404 that says nothing about whether it exists."""
    if case is None or not can_view_case(viewer, case_facts(case)):
        raise SocialError(404, "No such case.")
    return case


async def like(db: AsyncSession, state: AppState, actor: Actor, viewer: Viewer, case: Case | None) -> Like:
    case = require_visible(viewer, case)
    existing = await social_repo.get_like(db, case.id, actor.id)
    if existing is not None:
        return existing
    new_like = Like(case_id=case.id, actor_id=actor.id)
    db.add(new_like)
    await db.flush()
    author = await db.get(Actor, case.author_actor_id)
    if author is not None and author.account_id is not None and author.id != actor.id:
        add_notification(
            db,
            account_id=author.account_id,
            kind="like",
            case_id=case.id,
            from_actor_id=actor.id,
            message=f"{actor.username} liked your case",
        )
    await publish.case_liked(db, state, new_like, case)
    return new_like


async def unlike(db: AsyncSession, state: AppState, actor: Actor, viewer: Viewer, case: Case | None) -> None:
    case = require_visible(viewer, case)
    existing = await social_repo.get_like(db, case.id, actor.id)
    if existing is None:
        return
    # The hook sees the like before it goes, so it can name it in an Undo.
    await publish.case_unliked(db, state, existing, case)
    await social_repo.delete_row(db, existing)


async def follow(db: AsyncSession, state: AppState, follower: Actor, followed: Actor) -> Follow:
    if follower.id == followed.id:
        raise SocialError(422, "You cannot follow yourself.")
    existing = await social_repo.get_follow(db, follower.id, followed.id)
    if existing is not None:
        return existing
    if followed.actor_type == "Group":
        # Following a group is joining it: the group's join rule decides (a client's Follow too).
        try:
            return await groups.join(db, state, follower, followed)
        except groups.GroupError as error:
            raise SocialError(403, str(error)) from None
    # Local people are followed at once; remote follows wait for the peer's Accept.
    new_follow = Follow(
        follower_id=follower.id, followed_id=followed.id, state="accepted" if followed.is_local else "pending"
    )
    db.add(new_follow)
    await db.flush()
    if followed.is_local and followed.account_id is not None:
        add_notification(
            db,
            account_id=followed.account_id,
            kind="follow",
            case_id=None,
            from_actor_id=follower.id,
            message=f"{follower.username} followed you",
        )
    await publish.follow_requested(db, state, new_follow)
    return new_follow


async def unfollow(db: AsyncSession, state: AppState, follower: Actor, followed: Actor) -> None:
    existing = await social_repo.get_follow(db, follower.id, followed.id)
    if existing is None:
        return
    await publish.follow_removed(db, state, existing)
    await social_repo.delete_row(db, existing)


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise SocialError(422, "Say why you are flagging this, so a reviewer can decide.")
    if len(reason) > MAX_FLAG_REASON:
        raise SocialError(422, f"Keep the reason under {MAX_FLAG_REASON} characters.")
    return reason


async def flag_case(
    db: AsyncSession,
    state: AppState,
    reporter: Actor,
    viewer: Viewer,
    case: Case | None,
    reason: str,
    operator: Operator,
) -> Flag:
    """Hide the case at once for everyone but its author and reviewers, pending a decision."""
    case = require_visible(viewer, case)
    new_flag = Flag(case_id=case.id, reporter_actor_id=reporter.id, reason=_clean_reason(reason))
    db.add(new_flag)
    case.hidden = True
    await db.flush()
    record(db, operator.entry("case.flag", target_type="case", target_id=case.public_id, case_id=case.id))
    await publish.case_flagged(db, state, new_flag, case)
    return new_flag


async def flag_comment(
    db: AsyncSession,
    state: AppState,
    reporter: Actor,
    viewer: Viewer,
    case: Case | None,
    comment: Comment | None,
    reason: str,
    operator: Operator,
) -> Flag:
    case = require_visible(viewer, case)
    if comment is None or comment.case_id != case.id or comment.state != "visible":
        raise SocialError(404, "No such comment.")
    new_flag = Flag(
        case_id=case.id, comment_id=comment.id, reporter_actor_id=reporter.id, reason=_clean_reason(reason)
    )
    db.add(new_flag)
    comment.state = "hidden"
    await db.flush()
    record(
        db,
        operator.entry("case.flag", target_type="comment", target_id=comment.public_id, case_id=case.id),
    )
    await publish.case_flagged(db, state, new_flag, case)
    return new_flag


async def decide_flag(
    db: AsyncSession, reviewer: Account, flag: Flag | None, decision: str, operator: Operator
) -> Flag:
    """Uphold (stays hidden) or dismiss (visible again unless another open flag still holds it)."""
    if not can_review(reviewer):
        raise SocialError(403, "Only reviewers decide flags.")
    if flag is None or flag.state != "open":
        raise SocialError(404, "No open flag with that number.")
    if decision not in ("uphold", "dismiss"):
        raise SocialError(422, "Choose uphold or dismiss.")
    flag.state = "upheld" if decision == "uphold" else "dismissed"
    flag.decided_by_account_id = reviewer.id
    flag.decided_at = utcnow()
    if decision == "dismiss" and not await social_repo.other_open_flags(db, flag):
        await _restore(db, flag)
    record(
        db,
        operator.entry(
            "flag.decide",
            target_type="comment" if flag.comment_id else "case",
            target_id=str(flag.id),
            case_id=flag.case_id,
            details={"decision": flag.state},
        ),
    )
    await db.flush()
    return flag


async def _restore(db: AsyncSession, flag: Flag) -> None:
    if flag.comment_id is not None:
        comment = await db.get(Comment, flag.comment_id)
        if comment is not None and comment.state == "hidden":
            comment.state = "visible"
        return
    case = await db.get(Case, flag.case_id)
    if case is not None:
        case.hidden = False
