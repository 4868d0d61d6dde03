"""Editing a published case (the author) and deciding on edits that need review (reviewers),
plus the case's edit history for both. The rules are in ``services.case_edits``."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, abort, flash, redirect, request, url_for
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.wrappers import Response

from fediverse_cases.core.case_titles import case_title
from fediverse_cases.core.specialties import SPECIALTIES
from fediverse_cases.services import case_edits
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.storage.models import Actor, Case
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import (
    current_account,
    current_operator,
    professional_required,
    reviewer_required,
)
from fediverse_cases.web.case_text_form import case_details, case_text_values
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.review_decisions import Decision, decide
from fediverse_cases.web.state import app_state

blueprint = Blueprint("case_edits", __name__)


async def _own_published(public_id: str) -> tuple[Case, Actor]:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case_by_public_id(db, public_id)
        actor = await get_actor_for_account(db, account.id)
    if case is None or actor is None or not case.is_local or case.author_actor_id != actor.id:
        abort(404)
    if case.state != "published":
        abort(409, description="Only a published case is edited here.")
    return case, actor


async def _form_context(case: Case, values: dict[str, Any] | None, errors: dict[str, str]) -> dict[str, Any]:
    async with app_state().sessionmaker() as db:
        images = await case_repo.list_images(db, case.id)
        pending = await case_repo.pending_revision(db, case.id)
        history = await case_repo.applied_revisions(db, case.id)
        tags = await case_repo.list_tags(db, case.id)
    if values is None:
        source = pending or case
        values = {
            "title": source.title or case_title(case),
            "caption": source.caption,
            "content_warning": source.content_warning,
            "sensitive": source.sensitive,
            "specialties": [t.tag for t in tags if t.is_specialty],
            "free_tags": " ".join(f"#{t.tag}" for t in tags if not t.is_specialty),
            **{f"alt_{image.id}": image.alt_text for image in images},
        }
    return {
        "case": case,
        "images": images,
        "values": values,
        "errors": errors,
        "pending": pending,
        "history": history,
        "specialties": SPECIALTIES,
    }


@blueprint.get("/cases/<public_id>/edit")
@professional_required
async def edit_form(public_id: str) -> str:
    case, _actor = await _own_published(public_id)
    return await render_template("cases/edit.html", **await _form_context(case, None, {}))


@blueprint.post("/cases/<public_id>/edit")
@professional_required
async def save_edit(public_id: str) -> Response | tuple[str, int]:
    case, actor = await _own_published(public_id)
    form = await request.form
    async with app_state().sessionmaker() as db:
        images = await case_repo.list_images(db, case.id)
    values = case_text_values(form, images)
    edit = case_details(values, images)
    state = app_state()
    account = current_account()
    assert account is not None
    try:
        async with state.transaction() as db:
            fresh = await db.get(Case, case.id)
            assert fresh is not None
            outcome = await case_edits.propose_edit(
                db, state, fresh, account, actor, edit, current_operator()
            )
    except CaseError as error:
        context = await _form_context(case, values, error.field_errors)
        return await render_template("cases/edit.html", message=error.message, **context), error.status
    if outcome.applied:
        await flash("Edit published; hospitals that hold the case receive it.")
    else:
        await flash("Edit sent to the privacy officer. The published version stays until it is approved.")
    return redirect(url_for("cases.case_page", public_id=public_id))


@blueprint.get("/review/edits/<public_id>")
@reviewer_required
async def review_edit(public_id: str) -> str:
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case_by_public_id(db, public_id)
        pending = await case_repo.pending_revision(db, case.id) if case is not None else None
        current = await case_edits.snapshot(db, case) if case is not None else None
    if case is None or pending is None:
        abort(404)
    return await render_template("review/edit.html", case=case, pending=pending, current=current)


@blueprint.post("/review/edits/<public_id>")
@reviewer_required
async def decide_edit(public_id: str) -> Response:
    state = app_state()
    reviewer = current_account()
    assert reviewer is not None

    async def approve(db: AsyncSession) -> object:
        case = await case_repo.get_case_by_public_id(db, public_id)
        return await case_edits.approve_edit(db, state, case, reviewer, current_operator())

    async def reject(db: AsyncSession, reason: str) -> object:
        case = await case_repo.get_case_by_public_id(db, public_id)
        return await case_edits.reject_edit(db, case, reviewer, current_operator(), reason)

    decision = Decision(
        approve, reject, "Edit approved and published.", "Edit rejected; the author was told why."
    )
    return await decide(decision, CaseError, url_for("review.queue"))
