"""The reviewer's queue of held comments, beside the case queue: each with its case, author,
why it waits and the scanner's findings highlighted; approve or reject (with a reason)."""

from __future__ import annotations

from quart import Blueprint, url_for
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.wrappers import Response

from fediverse_cases.deidentify import PhiFinding
from fediverse_cases.services import comment_review
from fediverse_cases.services.comments import CommentError
from fediverse_cases.storage.repositories import comments as comment_repo
from fediverse_cases.web.auth import current_account, current_operator, reviewer_required
from fediverse_cases.web.case_views import highlight_segments
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.review_decisions import Decision, decide
from fediverse_cases.web.state import app_state

blueprint = Blueprint("comment_review", __name__)


def _findings(stored: list[list[object]] | None) -> list[PhiFinding]:
    return [PhiFinding(int(start), int(end), str(kind)) for start, end, kind in stored or []]  # type: ignore[call-overload]


@blueprint.get("/review/comments")
@reviewer_required
async def queue() -> str:
    async with app_state().sessionmaker() as db:
        held = await comment_repo.held_comments(db)
    items = [
        {
            "held": item,
            "segments": highlight_segments(item.comment.content, _findings(item.comment.held_findings)),
        }
        for item in held
    ]
    return await render_template("review/comments.html", items=items)


@blueprint.post("/review/comments/<public_id>")
@reviewer_required
async def decide_comment(public_id: str) -> Response:
    state = app_state()
    reviewer = current_account()
    assert reviewer is not None

    async def approve(db: AsyncSession) -> object:
        comment = await comment_repo.get_comment_by_public_id(db, public_id)
        return await comment_review.approve_comment(db, state, reviewer, comment, current_operator())

    async def reject(db: AsyncSession, reason: str) -> object:
        comment = await comment_repo.get_comment_by_public_id(db, public_id)
        return await comment_review.reject_comment(db, state, reviewer, comment, current_operator(), reason)

    decision = Decision(
        approve, reject, "Comment approved and published.", "Comment rejected; its text was erased."
    )
    return await decide(decision, CommentError, url_for("comment_review.queue"))
