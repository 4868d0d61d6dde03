"""Recording a case's confirmed outcome (the author or a reviewer: GET/POST /cases/<id>/outcome)
and the reviewer's decision on it (GET/POST /review/outcomes/<id>). The rules are in
``services.outcomes``; the case page shows the outcome behind "See the diagnosis"."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, abort, flash, redirect, url_for
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.wrappers import Response

from fediverse_cases.core.outcomes import CERTAINTIES, CODE_SYSTEMS, METHODS, OutcomeInput
from fediverse_cases.services import outcomes as outcome_service
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.storage.models import Actor, Case
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import outcomes as outcomes_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import current_account, current_operator, login_required, reviewer_required
from fediverse_cases.web.case_views import highlight_markup
from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.review_decisions import Decision, decide
from fediverse_cases.web.state import app_state

blueprint = Blueprint("outcomes", __name__)

FIELDS = ("diagnosis", "code", "code_system", "certainty", "method", "follow_up")


async def _recordable(public_id: str) -> tuple[Case, Actor | None]:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case_by_public_id(db, public_id)
        actor = await get_actor_for_account(db, account.id)
    if case is None or not outcome_service.may_record(case, account, actor):
        abort(404)
    return case, actor


async def _render(case: Case, values: dict[str, str], errors: dict[str, str], **extra: Any) -> str:
    async with app_state().sessionmaker() as db:
        current = await outcomes_repo.current_outcome(db, case.id)
        pending = await outcomes_repo.pending_outcome(db, case.id)
    return await render_template(
        "cases/outcome.html",
        case=case,
        values=values,
        errors=errors,
        current=current,
        pending=pending,
        certainties=CERTAINTIES,
        methods=METHODS,
        code_systems={name: label for name, (label, _iri) in CODE_SYSTEMS.items()},
        highlights=extra.pop("highlights", {}),
        **extra,
    )


@blueprint.get("/cases/<public_id>/outcome")
@login_required
async def outcome_form(public_id: str) -> str:
    case, _actor = await _recordable(public_id)
    return await _render(case, {}, {})


@blueprint.post("/cases/<public_id>/outcome")
@login_required
async def record_outcome(public_id: str) -> Response | tuple[str, int]:
    case, actor = await _recordable(public_id)
    values = await form_fields(FIELDS, max_length=3000)
    account = current_account()
    assert account is not None
    try:
        async with app_state().transaction() as db:
            fresh = await db.get(Case, case.id)
            assert fresh is not None
            await outcome_service.propose_outcome(
                db, fresh, account, actor, OutcomeInput(**values), current_operator()
            )
    except CaseError as error:
        highlights = {
            name: highlight_markup(values.get(name, ""), found) for name, found in error.phi.items()
        }
        page = await _render(case, values, error.field_errors, message=error.message, highlights=highlights)
        return page, error.status
    await flash("Outcome sent to the privacy officer. It is published once approved.")
    return redirect(url_for("cases.case_page", public_id=public_id))


@blueprint.get("/review/outcomes/<public_id>")
@reviewer_required
async def review_outcome(public_id: str) -> str:
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case_by_public_id(db, public_id)
        pending = await outcomes_repo.pending_outcome(db, case.id) if case is not None else None
        current = await outcomes_repo.current_outcome(db, case.id) if case is not None else None
    if case is None or pending is None:
        abort(404)
    return await render_template(
        "review/outcome.html",
        case=case,
        pending=pending,
        current=current,
        certainties=CERTAINTIES,
        methods=METHODS,
        code_systems={name: label for name, (label, _iri) in CODE_SYSTEMS.items()},
    )


@blueprint.post("/review/outcomes/<public_id>")
@reviewer_required
async def decide_outcome(public_id: str) -> Response:
    state = app_state()
    reviewer = current_account()
    assert reviewer is not None

    async def approve(db: AsyncSession) -> object:
        case = await case_repo.get_case_by_public_id(db, public_id)
        return await outcome_service.approve_outcome(db, state, case, reviewer, current_operator())

    async def reject(db: AsyncSession, reason: str) -> object:
        case = await case_repo.get_case_by_public_id(db, public_id)
        return await outcome_service.reject_outcome(db, case, reviewer, current_operator(), reason)

    decision = Decision(
        approve, reject, "Outcome approved and published.", "Outcome rejected; the author was told why."
    )
    return await decide(decision, CaseError, url_for("review.queue"))
