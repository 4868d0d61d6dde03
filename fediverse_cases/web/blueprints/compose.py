"""Composing a case in the browser: upload (size-guarded, with progress from static/upload.js;
answered at once, the images are de-identified by jobs the page follows, see compose_jobs.py),
the de-identified previews with the redaction editor (static/redaction-editor.js), caption, alt
texts, tags, visibility, the consent record (with the audience the patient agreed to), PHI
highlighting and submission for review; the printable consent form (a new withdrawal code each
print) and, for a published case, changing its audience (wider needs a new consent).
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, abort, flash, jsonify, redirect, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from fediverse_cases.core import consent_scope
from fediverse_cases.core.case_access import VISIBILITY_LABELS, CaseState
from fediverse_cases.core.specialties import SPECIALTIES, specialty_label
from fediverse_cases.services import audience_change, deid_jobs
from fediverse_cases.services import compose as compose_service
from fediverse_cases.services import consent_form as consent_form_service
from fediverse_cases.services import groups as group_service
from fediverse_cases.services import polls as poll_service
from fediverse_cases.services.case_errors import EDITABLE_STATES, CaseError
from fediverse_cases.storage.models import Case, CaseImage
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import (
    current_account,
    current_operator,
    login_required,
    professional_required,
)
from fediverse_cases.web.case_text_form import case_details, case_text_values
from fediverse_cases.web.case_views import highlight_markup, image_view, job_view
from fediverse_cases.web.compose_access import own_case
from fediverse_cases.web.poll_form import poll_input, poll_template_context, poll_values, stored_poll_values
from fediverse_cases.web.redaction_form import read_boxes
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("compose", __name__)

UPLOAD_ENDPOINTS = frozenset({"compose.create", "compose.upload_images", "compose.save"})
FORM_OVERHEAD_BYTES = 256 * 1024


async def upload_size_guard() -> None:
    """Refuse an oversized upload from its Content-Length, before the body is read."""
    if request.method != "POST" or request.endpoint not in UPLOAD_ENDPOINTS:
        return
    uploads = app_state().settings.uploads
    per_file = uploads.max_image_bytes
    cap = per_file * uploads.max_images_per_case + FORM_OVERHEAD_BYTES
    if request.endpoint == "compose.save":
        cap = per_file + FORM_OVERHEAD_BYTES  # one consent form scan
    if request.content_length is not None and request.content_length > cap:
        abort(413, description=_size_message(per_file, uploads.max_images_per_case))
    # Quart counts body bytes against this while streaming and stops at the cap (chunked bodies too).
    request.max_content_length = cap
    request.body._max_content_length = cap


def _size_message(per_file: int, count: int) -> str:
    return (
        f"This upload is too large: each image may be at most {per_file / (1024 * 1024):g} MB "
        f"and a case holds at most {count} images. Nothing was stored."
    )


def _max_images() -> int:
    return app_state().settings.uploads.max_images_per_case


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _uploaded(files: list[FileStorage]) -> list[compose_service.UploadedFile]:
    per_file = app_state().settings.uploads.max_image_bytes
    uploads = []
    for storage in files:
        if not storage or not storage.filename:
            continue
        data = storage.stream.read(per_file + 1)
        if len(data) > per_file:
            abort(
                413,
                description=f"{storage.filename} is larger than the {per_file / (1024 * 1024):g} MB limit per image. Nothing was stored.",
            )
        uploads.append(compose_service.UploadedFile(data, storage.filename, storage.mimetype or ""))
    return uploads


def _upload_response(case: Case, outcomes: list[compose_service.ImageOutcome]) -> Response:
    """Answered at once: the edit page follows the de-identification jobs."""
    target = url_for("compose.edit", public_id=case.public_id)
    if _wants_json():
        return jsonify({"redirect": target, "jobs": [o.job_id for o in outcomes]})
    return redirect(target)


async def _error(error: CaseError, template_context: dict[str, Any] | None = None) -> Any:
    if _wants_json():
        return jsonify({"error": error.message}), error.status
    if template_context is not None:
        return await render_template(**template_context, message=error.message), error.status
    abort(error.status, description=error.message)


@blueprint.get("/compose")
@professional_required
async def index() -> str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        actor = await get_actor_for_account(db, account.id)
        cases = await case_repo.list_cases_by_author(db, actor.id) if actor else []
    return await render_template("compose/index.html", cases=cases, max_images=_max_images())


@blueprint.post("/compose")
@professional_required
async def create() -> Any:
    state = app_state()
    files = _uploaded((await request.files).getlist("images"))
    if not files:
        return await _error(
            CaseError("Choose at least one image."),
            {
                "template_name_or_list": "compose/index.html",
                "cases": [],
                "max_images": _max_images(),
            },
        )
    if len(files) > state.settings.uploads.max_images_per_case:
        limit = state.settings.uploads.max_images_per_case
        return await _error(
            CaseError(
                f"A case holds at most {limit} images; you chose {len(files)}. Nothing was stored.",
                status=413,
            )
        )
    account = current_account()
    assert account is not None
    async with state.transaction() as db:
        actor = await get_actor_for_account(db, account.id)
        assert actor is not None
        case = await compose_service.start_draft(db, state, actor)
    outcomes = await compose_service.add_images(state, case.id, files)
    return _upload_response(case, outcomes)


@blueprint.post("/compose/<public_id>/images")
@professional_required
async def upload_images(public_id: str) -> Any:
    case, _ = await own_case(public_id)
    files = _uploaded((await request.files).getlist("images"))
    if not files:
        return await _error(CaseError("Choose at least one image."))
    try:
        outcomes = await compose_service.add_images(app_state(), case.id, files)
    except CaseError as error:
        return await _error(error)
    return _upload_response(case, outcomes)


@blueprint.post("/compose/<public_id>/images/<int:image_id>/redact")
@professional_required
async def redact(public_id: str, image_id: int) -> Any:
    case, _ = await own_case(public_id)
    regions, crop = read_boxes(await request.form)
    try:
        await compose_service.redact_image(app_state(), case.id, image_id, regions, crop)
    except CaseError as error:
        return await _error(error)
    await flash("De-identification is running again with your boxes; the image is replaced when it is done.")
    return redirect(url_for("compose.edit", public_id=case.public_id) + f"#image-{image_id}")


@blueprint.post("/compose/<public_id>/images/<int:image_id>/delete")
@professional_required
async def delete_image(public_id: str, image_id: int) -> Any:
    case, _ = await own_case(public_id)
    try:
        async with app_state().transaction() as db:
            fresh = await case_repo.get_case(db, case.id)
            assert fresh is not None
            await compose_service.remove_image(db, app_state(), fresh, image_id)
    except CaseError as error:
        return await _error(error)
    await flash("Image removed.")
    return redirect(url_for("compose.edit", public_id=case.public_id))


async def _edit_context(case: Case, values: dict[str, Any] | None = None) -> dict[str, Any]:
    async with app_state().sessionmaker() as db:
        images = await case_repo.list_images(db, case.id)
        tags = await case_repo.list_tags(db, case.id)
        consent = await case_repo.get_consent(db, case.id)
        decisions = await case_repo.list_review_decisions(db, case.id)
        jobs = await deid_jobs.open_jobs(db, case.id)
        poll = await stored_poll_values(db, case.id)
        joined_groups = [
            actor
            for follow, actor in await groups_repo.groups_joined(db, case.author_actor_id)
            if follow.state == "accepted"
        ]
        posted_to = [post.group_actor_id for post in await groups_repo.posts_of_case(db, case.id)]
    if values is None:
        values = {
            "title": case.title,
            "caption": case.caption,
            "content_warning": case.content_warning,
            "sensitive": case.sensitive,
            "visibility": case.visibility,
            "consent_audience": consent.audience if consent else consent_scope.NARROWEST,
            "specialties": [t.tag for t in tags if t.is_specialty],
            "free_tags": " ".join(f"#{t.tag}" for t in tags if not t.is_specialty),
            **{f"alt_{image.id}": image.alt_text for image in images},
            "groups": posted_to,
            **poll,
        }
        if consent is not None:
            values.update(
                consent_method=consent.method,
                consent_date=consent.consent_date.isoformat(),
                consent_obtained_by=consent.obtained_by,
                consent_witness=consent.witness,
            )
    return {
        "template_name_or_list": "compose/edit.html",
        "case": case,
        "images": [image_view(image) for image in images],
        "jobs": [job_view(job) for job in jobs],
        "consent": consent,
        "decisions": decisions,
        "values": values,
        "errors": {},
        "highlights": {},
        "editable": case.state in EDITABLE_STATES,
        "specialties": SPECIALTIES,
        "visibility_labels": VISIBILITY_LABELS,
        "joined_groups": joined_groups,
        "consent_methods": compose_service.CONSENT_METHODS,
        "audience_labels": consent_scope.AUDIENCE_LABELS,
        "withdrawal_check": app_state().settings.withdrawal.check,
        "max_images": app_state().settings.uploads.max_images_per_case,
        **poll_template_context(),
    }


@blueprint.get("/compose/<public_id>")
@professional_required
async def edit(public_id: str) -> str:
    case, _ = await own_case(public_id)
    return await render_template(**await _edit_context(case))


def _form_values(form: Any, images: list[CaseImage]) -> dict[str, Any]:
    def text(name: str, limit: int) -> str:
        return str(form.get(name, ""))[:limit]

    return {
        **case_text_values(form, images),
        "visibility": text("visibility", 20) or consent_scope.NARROWEST,
        "groups": [int(v) for v in form.getlist("groups") if str(v).isdigit() and len(str(v)) <= 18],
        "consent_method": text("consent_method", 40),
        "consent_date": text("consent_date", 20),
        "consent_obtained_by": text("consent_obtained_by", 400),
        "consent_witness": text("consent_witness", 400),
        "consent_audience": text("consent_audience", 20) or consent_scope.NARROWEST,
        # Hashed when recorded and never shown back: it is an identifier.
        "consent_date_of_birth": text("consent_date_of_birth", 20),
        **poll_values(form),
    }


@blueprint.post("/compose/<public_id>")
@professional_required
async def save(public_id: str) -> Any:
    state = app_state()
    case, _ = await own_case(public_id)
    form = await request.form
    files = await request.files
    async with state.sessionmaker() as db:
        images = list(await case_repo.list_images(db, case.id))
    values = _form_values(form, images)
    form_scan = files.get("consent_form")
    scan = None
    if form_scan is not None and form_scan.filename:
        scan = compose_service.UploadedFile(
            form_scan.stream.read(state.settings.uploads.max_image_bytes + 1), form_scan.filename
        )
    account = current_account()
    assert account is not None
    consent_given = any(values[k] for k in ("consent_method", "consent_date", "consent_obtained_by"))
    try:
        async with state.transaction() as db:
            fresh = await case_repo.get_case(db, case.id)
            assert fresh is not None
            details = case_details(values, images, visibility=values["visibility"])
            await compose_service.save_details(db, fresh, details)
            await poll_service.save_draft_poll(db, fresh, poll_input(values))
            await group_service.set_case_groups(db, fresh, fresh.author_actor_id, values["groups"])
            if consent_given or scan is not None:
                await compose_service.record_consent(
                    db,
                    state,
                    fresh,
                    compose_service.ConsentInput(
                        values["consent_method"],
                        values["consent_date"],
                        values["consent_obtained_by"],
                        values["consent_witness"],
                        scan,
                        values["consent_audience"],
                        values["consent_date_of_birth"],
                    ),
                    account.id,
                )
            await compose_service.enforce_consent_scope(db, fresh)
            case = fresh
    except CaseError as error:
        return await _render_error(case, values, error)
    if form.get("action") != "submit":
        await flash("Draft saved.")
        return redirect(url_for("compose.edit", public_id=case.public_id))
    try:
        async with state.transaction() as db:
            fresh = await case_repo.get_case(db, case.id)
            assert fresh is not None
            warnings = await compose_service.submit_case(db, state, fresh, current_operator())
    except CaseError as error:
        return await _render_error(case, values, error)
    await flash("Submitted. A reviewer will check it before anyone else can see it.")
    for warning in warnings:
        await flash(warning)
    return redirect(url_for("compose.edit", public_id=case.public_id))


async def _render_error(case: Case, values: dict[str, Any], error: CaseError) -> tuple[str, int]:
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case(db, case.id) or case
    values = {**values, "consent_date_of_birth": ""}
    context = await _edit_context(case, values)
    context["errors"] = error.field_errors
    context["highlights"] = {
        name: highlight_markup(values.get(name, ""), findings) for name, findings in error.phi.items()
    }
    return await render_template(**context, message=error.message), error.status


@blueprint.get("/compose/<public_id>/consent-form")
@login_required
async def consent_form(public_id: str) -> Response:
    """The scanned consent form: the author, reviewers and admins only; never cached."""
    from fediverse_cases.core.accounts import can_review

    account = current_account()
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case_by_public_id(db, public_id)
        actor = await get_actor_for_account(db, account.id) if account else None
        consent = await case_repo.get_consent(db, case.id) if case else None
    allowed = case is not None and (
        can_review(account) or (actor is not None and case.author_actor_id == actor.id)
    )
    if not allowed or consent is None or not consent.form_key:
        abort(404)
    data = app_state().private_store.read(consent.form_key)
    if data is None:
        abort(404)
    return Response(
        data,
        content_type=consent.form_media_type,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": "attachment; filename=consent-form",
        },
    )


def tag_label(tag: str) -> str:
    return specialty_label(tag)


@blueprint.post("/compose/<public_id>/consent-form/print")
@professional_required
async def print_consent_form(public_id: str) -> Any:
    """A new withdrawal code and the PDF carrying it (the code is in clear only in this PDF)."""
    state = app_state()
    case, _ = await own_case(public_id)
    form = await request.form
    try:
        async with state.transaction() as db:
            fresh = await case_repo.get_case(db, case.id)
            assert fresh is not None
            printed = await consent_form_service.print_consent_form(
                db, state, fresh, str(form.get("date_of_birth", ""))[:20], current_operator()
            )
    except CaseError as error:
        for message in error.field_errors.values() or [error.message]:
            await flash(message)
        target = "compose.audience" if case.state == CaseState.PUBLISHED else "compose.edit"
        return redirect(url_for(target, public_id=case.public_id) + "#consent-form")
    return Response(
        printed.pdf,
        content_type="application/pdf",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f"attachment; filename=consent-form-{case.public_id}.pdf",
        },
    )


async def _audience_context(case: Case, values: dict[str, Any] | None = None) -> dict[str, Any]:
    async with app_state().sessionmaker() as db:
        consent = await case_repo.get_consent(db, case.id)
    return {
        "template_name_or_list": "compose/audience.html",
        "case": case,
        "consent": consent,
        "values": values or {"visibility": case.visibility},
        "errors": {},
        "visibility_labels": VISIBILITY_LABELS,
        "audience_labels": consent_scope.AUDIENCE_LABELS,
        "consent_methods": compose_service.CONSENT_METHODS,
        "withdrawal_check": app_state().settings.withdrawal.check,
    }


@blueprint.get("/compose/<public_id>/audience")
@professional_required
async def audience(public_id: str) -> str:
    case, _ = await own_case(public_id)
    return await render_template(**await _audience_context(case))


@blueprint.post("/compose/<public_id>/audience")
@professional_required
async def change_audience(public_id: str) -> Any:
    state = app_state()
    case, _ = await own_case(public_id)
    form = await request.form
    values = _form_values(form, [])
    values["visibility"] = str(form.get("visibility", ""))[:20]
    values["new_consent"] = form.get("new_consent") == "on"
    new_consent = None
    if form.get("new_consent") == "on":
        new_consent = compose_service.ConsentInput(
            values["consent_method"],
            values["consent_date"],
            values["consent_obtained_by"],
            values["consent_witness"],
            None,
            values["consent_audience"],
            values["consent_date_of_birth"],
        )
    try:
        async with state.transaction() as db:
            fresh = await case_repo.get_case(db, case.id)
            assert fresh is not None
            await audience_change.change_audience(
                db, state, fresh, values["visibility"], new_consent, current_operator()
            )
    except CaseError as error:
        context = await _audience_context(case, {**values, "consent_date_of_birth": ""})
        context["errors"] = error.field_errors
        return await render_template(**context, message=error.message), error.status
    await flash("Audience saved." + (" Print the new consent form for the patient." if new_consent else ""))
    return redirect(url_for("compose.audience", public_id=public_id))
