"""The review queue for privacy officers, review decisions, withdrawal of consent, and each
person's notifications page."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from fediverse_cases.core.accounts import can_review
from fediverse_cases.core.case_access import VISIBILITY_LABELS, case_facts, is_author
from fediverse_cases.core.consent_scope import AUDIENCE_LABELS
from fediverse_cases.services import paging as paging_service
from fediverse_cases.services import review as review_service
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.compose import CONSENT_METHODS
from fediverse_cases.services.viewers import viewer_for
from fediverse_cases.services.withdraw import withdraw_consent
from fediverse_cases.storage.models import Actor
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories import outcomes as outcomes_repo
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories import polls as polls_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import (
    current_account,
    current_operator,
    login_required,
    reviewer_required,
)
from fediverse_cases.web.case_views import image_view
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.stack_views import stack_view
from fediverse_cases.web.state import app_state

blueprint = Blueprint("review", __name__)

DECISIONS = {
    "approve": review_service.approve_case,
    "reject": review_service.reject_case,
    "changes": review_service.request_changes,
}


@blueprint.get("/review")
@reviewer_required
async def queue() -> str:
    async with app_state().sessionmaker() as db:
        cases = await case_repo.review_queue(db)
        authors = {case.author_actor_id: await db.get(Actor, case.author_actor_id) for case in cases}
        edited = await case_repo.cases_with_pending_edits(db)
        handed_over = await case_repo.cases_with_handed_over_images(db, [case.id for case in cases])
        outcomes = await outcomes_repo.cases_with_pending_outcomes(db)
        urgent = await paging_repo.case_ids_waiting_urgent_review(db)
    return await render_template(
        "review/queue.html",
        urgent=urgent,
        cases=cases,
        authors=authors,
        edited=edited,
        handed_over=handed_over,
        outcomes=outcomes,
    )


async def _review_context(public_id: str) -> dict[str, Any]:
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case_by_public_id(db, public_id)
        if case is None or not case.is_local:
            abort(404)
        images = await case_repo.list_images(db, case.id)
        tags = await case_repo.list_tags(db, case.id)
        consent = await case_repo.get_consent(db, case.id)
        decisions = await case_repo.list_review_decisions(db, case.id)
        author = await db.get(Actor, case.author_actor_id)
        poll = await polls_repo.poll_of_case(db, case.id)
        stacks = {
            image_id: stack_view(stack)
            for image_id, stack in (await dicom_repo.stacks_of(db, case.id)).items()
        }
    return {
        "stacks": stacks,
        "case": case,
        "images": [image_view(image) for image in images],
        "tags": tags,
        "consent": consent,
        "decisions": decisions,
        "author": author,
        "poll": poll,
        "visibility_labels": VISIBILITY_LABELS,
        "consent_methods": CONSENT_METHODS,
        "audience_labels": AUDIENCE_LABELS,
        "errors": {},
    }


@blueprint.get("/review/<public_id>")
@reviewer_required
async def review_case(public_id: str) -> str:
    return await render_template("review/case.html", **await _review_context(public_id))


@blueprint.post("/review/<public_id>")
@reviewer_required
async def decide(public_id: str) -> Any:
    form = await request.form
    decision = DECISIONS.get(str(form.get("decision", "")))
    if decision is None:
        abort(400, description="Choose approve, reject or request changes.")
    note = str(form.get("note", ""))[:5000]
    state = app_state()
    try:
        async with state.transaction() as db:
            case = await case_repo.get_case_by_public_id(db, public_id)
            if case is None or not case.is_local:
                abort(404)
            await decision(db, state, case, current_operator(), note)
    except CaseError as error:
        context = await _review_context(public_id)
        context["errors"] = error.field_errors
        return await render_template("review/case.html", **context, message=error.message), error.status
    await flash(
        {
            "approve": "Approved and published.",
            "reject": "Rejected; the author was told why.",
            "changes": "Sent back to the author for changes.",
        }[str(form.get("decision"))]
    )
    return redirect(url_for("review.queue"))


async def _withdrawable(public_id: str) -> Any:
    account = current_account()
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case_by_public_id(db, public_id)
        viewer = await viewer_for(db, account)
    if case is None or not case.is_local:
        abort(404)
    if not (can_review(account) or is_author(viewer, case_facts(case))):
        abort(404)
    return case


@blueprint.get("/cases/<public_id>/withdraw")
@login_required
async def withdraw_form(public_id: str) -> str:
    case = await _withdrawable(public_id)
    return await render_template("review/withdraw.html", case=case)


@blueprint.post("/cases/<public_id>/withdraw")
@login_required
async def withdraw(public_id: str) -> Any:
    case = await _withdrawable(public_id)
    form = await request.form
    if form.get("confirm") != "withdraw":
        return await render_template(
            "review/withdraw.html", case=case, message="Tick the box to confirm the withdrawal."
        ), 422
    state = app_state()
    try:
        async with state.transaction() as db:
            fresh = await case_repo.get_case(db, case.id)
            assert fresh is not None
            await withdraw_consent(db, state, fresh, current_operator())
    except CaseError as error:
        abort(error.status, description=error.message)
    await flash("Consent withdrawn: the case's images, comments and tags were removed.")
    return redirect(f"/cases/{case.public_id}")


@blueprint.get("/notifications")
@login_required
async def notifications() -> str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        items = await case_repo.list_notifications(db, account.id)
        cases = await case_repo.cases_by_ids(db, [n.case_id for n in items if n.case_id])
        # Thumbnails only of what anyone may see: an unpublished case's image is an audited view.
        shown = [case.id for case in cases.values() if case.state == "published" and not case.hidden]
        thumbnails = await case_repo.first_images(db, shown)
        pages = await paging_repo.pages_of_notifications(db, [n.id for n in items if n.kind == "page"])
    return await render_template(
        "notifications.html", items=items, cases=cases, thumbnails=thumbnails, pages=pages
    )


@blueprint.post("/notifications/read")
@login_required
async def mark_read() -> Response:
    account = current_account()
    assert account is not None
    async with app_state().transaction() as db:
        unread = [n.id for n in await case_repo.list_notifications(db, account.id, limit=1000) if not n.read]
        await case_repo.mark_notifications_read(db, account.id)
        me = await get_actor_for_account(db, account.id)
        if me is not None:  # reading a page's notification is seeing the page
            await paging_service.mark_seen(db, app_state(), me, notification_ids=unread)
    return redirect(url_for("review.notifications"))
