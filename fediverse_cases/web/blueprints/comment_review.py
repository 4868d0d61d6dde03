"""The reviewer's queue of held comments, beside the case queue: each with its case, author,
why it waits and the scanner's findings highlighted; approve or reject (with a reason)."""

from __future__ import annotations

from quart import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from fediverse_cases.deidentify import PhiFinding
from fediverse_cases.services import comment_review
from fediverse_cases.services.comments import CommentError
from fediverse_cases.storage.repositories import comments as comment_repo
from fediverse_cases.web.auth import current_account, current_operator, reviewer_required
from fediverse_cases.web.blueprints.cases import highlight
from fediverse_cases.web.forms import form_fields
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
        {"held": item, "segments": highlight(item.comment.content, _findings(item.comment.held_findings))}
        for item in held
    ]
    return await render_template("review/comments.html", items=items)


@blueprint.post("/review/comments/<public_id>")
@reviewer_required
async def decide(public_id: str) -> Response:
    values = await form_fields(("decision", "reason"))
    state = app_state()
    reviewer = current_account()
    assert reviewer is not None
    try:
        async with state.transaction() as db:
            comment = await comment_repo.get_comment_by_public_id(db, public_id)
            if values["decision"] == "approve":
                await comment_review.approve_comment(db, state, reviewer, comment, current_operator())
                message = "Comment approved and published."
            elif values["decision"] == "reject":
                await comment_review.reject_comment(
                    db, state, reviewer, comment, current_operator(), values["reason"]
                )
                message = "Comment rejected; its text was erased."
            else:
                abort(400, description="Choose approve or reject.")
    except CommentError as error:
        if error.status in (403, 404):
            abort(error.status, description=error.message)
        await flash(error.message)
        return redirect(url_for("comment_review.queue"))
    await flash(message)
    return redirect(url_for("comment_review.queue"))
