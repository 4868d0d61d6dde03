"""ActivityPub documents of cases and comments, on the same URLs as their HTML pages.

A ``before_app_request`` hook answers AS2 requests (``Accept: application/activity+json`` or
``application/ld+json; profile=...``) for ``/cases/<id>``, ``/cases/<id>/replies`` and
``/comments/<id>``, leaving HTML to the case pages; ``/cases/<id>/context`` (FEP-7888) and
``/cases/<id>/activity`` and ``/cases/<id>/stacks/<position>`` (a DICOM series' whole stack)
are ActivityPub-only. Only what ``core.case_access.federates``
allows is served: a withdrawn case answers 410 with a Tombstone, anything else unshareable 404;
"followers and peers" cases only to signed fetches from allowed peers. Also: the copy-status
endpoint peers use for erasure re-checks, and the erasure report page of a withdrawn case.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from quart import Blueprint, Response, abort, flash, redirect, request, url_for

from fediverse_cases.activitypub.constants import ACTIVITY_JSON, DEFAULT_CONTEXT
from fediverse_cases.convert.activities import create_activity
from fediverse_cases.convert.cases import as2_datetime, case_facts, stack_collection
from fediverse_cases.core.accounts import can_review
from fediverse_cases.core.audience import NotFederated
from fediverse_cases.core.case_access import Visibility, federates
from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.federation import erasure, threads
from fediverse_cases.federation.signed_fetch import NotAllowed, note_signed_fetch
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories import tombstones as tombstones_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.storage.repositories.cases import get_case_by_public_id
from fediverse_cases.storage.repositories.comments import get_comment_by_public_id
from fediverse_cases.web.auth import current_account, login_required
from fediverse_cases.web.doc_cache import OBJECT, cached_document, cached_view
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("activitypub_objects", __name__)

_AS2_PATH = re.compile(
    r"^/(?P<kind>cases|comments)/(?P<public_id>[A-Za-z0-9_-]{1,40})(?P<replies>/replies)?/?$"
)


def wants_activity_json() -> bool:
    accept = request.headers.get("Accept", "").lower()
    if "application/activity+json" in accept:
        return True
    return "application/ld+json" in accept and "activitystreams" in accept


def _json(document: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(document),
        status=status,
        content_type=f"{ACTIVITY_JSON}; charset=utf-8",
        headers={"Vary": "Accept", "Cache-Control": "no-store" if status != 200 else "max-age=60"},
    )


def _not_found() -> Response:
    return Response(
        '{"error": "not found"}', status=404, content_type="application/json", headers={"Vary": "Accept"}
    )


def _tombstone(ap_id: str, deleted_at: Any) -> Response:
    return _json(
        {
            "@context": DEFAULT_CONTEXT,
            "id": ap_id,
            "type": "Tombstone",
            "formerType": "Note",
            "deleted": as2_datetime(deleted_at),
        },
        status=410,
    )


async def _signed_peer(db: Any, object_id: str) -> str | None:
    """The allowed peer host that signed this GET (recorded for withdrawal), or None."""
    signer = await note_signed_fetch(db, app_state(), object_id)
    return signer.host if signer is not None else None


def _refused(error: NotAllowed) -> Response:
    return Response(
        json.dumps({"error": f"signed by a server this instance does not federate with: {error}"}),
        status=403,
        content_type="application/json",
        headers={"Vary": "Accept"},
    )


async def _may_serve(db: Any, case: Case) -> bool:
    if case.visibility == Visibility.PUBLIC:
        await _signed_peer(db, case.ap_id)
        return True
    # Members-only cases reach peers by delivery; a fetch must come signed from an allowed peer.
    return await _signed_peer(db, case.ap_id) is not None


async def _case_document(
    public_id: str, replies: bool, activity: bool = False, context: bool = False
) -> Response:
    state = app_state()
    async with state.transaction() as db:
        case = await get_case_by_public_id(db, public_id)
        if case is None or not case.is_local:
            return _not_found()
        if case.state == "withdrawn":
            return _tombstone(case.ap_id, case.withdrawn_at)
        if not federates(case_facts(case)) or not await _may_serve(db, case):
            return _not_found()
        if replies:
            return _json(await threads.replies_collection(db, case))
        if context:
            return _json(await threads.context_collection(db, state, case))
        try:
            note = await threads.case_note(db, state, case)
            return _json(create_activity(note) if activity else note)
        except NotFederated:
            return _not_found()


async def _comment_document(public_id: str) -> Response:
    state = app_state()
    async with state.transaction() as db:
        comment = await get_comment_by_public_id(db, public_id)
        if comment is None or not comment.is_local:
            return _not_found()
        case = await db.get(Case, comment.case_id)
        if comment.state == "deleted" or case is None or case.state == "withdrawn":
            return _tombstone(comment.ap_id, comment.edited_at or comment.created_at)
        if comment.state != "visible":
            return _not_found()
        # A comment is shareable when its case is: a local case by our rule, a remote one
        # because its home sent it to us (and keeps the authority over who sees it).
        if case.is_local and (not federates(case_facts(case)) or not await _may_serve(db, case)):
            return _not_found()
        if not case.is_local and case.state != "published":
            return _not_found()
        return _json(await threads.comment_note(db, state, comment, case))


@blueprint.before_app_request
async def answer_activity_json() -> Response | None:
    if request.method not in ("GET", "HEAD") or not wants_activity_json():
        return None
    match = _AS2_PATH.match(request.path)
    if match is None or (match["kind"] == "comments" and match["replies"]):
        return None

    async def render() -> Response:
        try:
            if match["kind"] == "cases":
                return await _case_document(match["public_id"], bool(match["replies"]))
            return await _comment_document(match["public_id"])
        except NotAllowed as error:
            return _refused(error)

    return await cached_document("as2", render, cache_control=OBJECT, signed_ok=False)


@blueprint.get("/cases/<public_id>/activity")
@cached_view("activity", cache_control=OBJECT, signed_ok=False)
async def create_activity_document(public_id: str) -> Response:
    """The id of every Create we send (``<case>/activity``) answers with that activity (410
    after withdrawal), as servers and tools that inspect a profile expect."""
    try:
        return await _case_document(public_id, replies=False, activity=True)
    except NotAllowed as error:
        return _refused(error)


@blueprint.get("/cases/<public_id>/context")
async def context_document(public_id: str) -> Response:
    """FEP-7888: the case's conversation as an ordered collection (ActivityPub JSON only; the
    same rules as the case itself decide who may read it)."""
    try:
        return await _case_document(public_id, replies=False, context=True)
    except NotAllowed as error:
        return _refused(error)


@blueprint.get("/cases/<public_id>/stacks/<int:position>")
async def case_stack(public_id: str, position: int) -> Response:
    """The whole stack of a case's DICOM series (the ``Link`` after the Note's key frames): an
    OrderedCollection of every frame in order, each at every window preset. Served as the case's
    Note is: only while the case federates, members-only cases to signed fetches of allowed peers."""
    state = app_state()
    try:
        async with state.transaction() as db:
            case = await get_case_by_public_id(db, public_id)
            if case is None or not case.is_local or case.state == "withdrawn":
                return _not_found()
            if not federates(case_facts(case)) or not await _may_serve(db, case):
                return _not_found()
            images = {image.id: image for image in await cases_repo.list_images(db, case.id)}
            for image_id, stack in (await dicom_repo.stacks_of(db, case.id)).items():
                image = images.get(image_id)
                if image is not None and image.position == position:
                    return _json(stack_collection(case, image, stack, state.urls))
            return _not_found()
    except NotAllowed as error:
        return _refused(error)


@blueprint.get("/cases/<public_id>/replies")
async def replies_html(public_id: str) -> Any:
    """People asking for the replies collection in a browser get the case page (the thread)."""
    return redirect(app_state().urls.case(public_id))


@blueprint.get(erasure.COPY_STATUS_PATH)
async def copy_status() -> Response:
    """Whether this instance still holds a copy of a remote object. Only the object's home may
    ask (signed GET from its host), so nobody else learns what we cached."""
    object_id = request.args.get("id", "")
    try:
        origin = host_of(object_id)
    except InvalidHost:
        abort(400)
    state = app_state()
    async with state.transaction() as db:
        signer = await _signed_peer(db, object_id)
        if signer != origin:
            abort(403)
        case = await cases_repo.get_case_by_ap_id(db, object_id)
        comment = None if case else await comments_repo.get_comment_by_ap_id(db, object_id)
        held = (case is not None and not case.is_local and case.state != "withdrawn") or (
            comment is not None and not comment.is_local and comment.state != "deleted"
        )
        tombstoned = await tombstones_repo.is_tombstoned(db, object_id)
    body = {"id": object_id, "held": held, "tombstoned": tombstoned}
    status = 200 if held else (410 if tombstoned else 404)
    return Response(json.dumps(body), status=status, content_type="application/json")


async def _report_case(public_id: str) -> Case:
    """The case, if the signed-in person is its author, a reviewer or an admin; else 404."""
    account = current_account()
    assert account is not None
    state = app_state()
    async with state.sessionmaker() as db:
        case = await get_case_by_public_id(db, public_id)
        if case is None or not case.is_local:
            abort(404)
        actor = await get_actor_for_account(db, account.id)
        if not (can_review(account) or (actor is not None and actor.id == case.author_actor_id)):
            abort(404)
    return case


@blueprint.get("/cases/<public_id>/erasure")
@login_required
async def erasure_page(public_id: str) -> str:
    case = await _report_case(public_id)
    state = app_state()
    async with state.sessionmaker() as db:
        rows = await erasure.erasure_report(db, case)
    return await render_template("federation/erasure.html", case=case, rows=rows)


@blueprint.post("/cases/<public_id>/erasure/recheck")
@login_required
async def erasure_recheck(public_id: str) -> Any:
    case = await _report_case(public_id)
    if case.state != "withdrawn":
        abort(409)
    results = await erasure.recheck_peers(app_state(), case.id)
    await flash(f"Re-checked {len(results)} peer(s).")
    return redirect(url_for("activitypub_objects.erasure_page", public_id=public_id))
