"""Serving de-identified image derivatives at ``/media/<key>-<variant><ext>``.

Every request asks ``core.case_access``: anything the asker may not see answers 404 (never 403,
so existence is not revealed). Published cases that federate are served without cookies or
signatures, because peers (Mastodon among them) fetch attachments unsigned and the random key is
the capability; "this hospital only" cases need a signed-in local account. Only published public
cases are publicly cacheable. Authors and reviewers looking at unpublished media are audited.
The bytes go out from Python or through the front proxy (``web.media_delivery``).
"""

from __future__ import annotations

from quart import Blueprint, abort
from werkzeug.wrappers import Response

from fediverse_cases.core.case_access import CaseState, Visibility, can_view_case, case_facts, federates
from fediverse_cases.media import parse_media_name
from fediverse_cases.services.viewers import viewer_for
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories.audit import record
from fediverse_cases.web.auth import client_ip, current_account
from fediverse_cases.web.media_delivery import media_response
from fediverse_cases.web.state import app_state

blueprint = Blueprint("media", __name__)

NOT_CACHEABLE = "private, no-store"


@blueprint.get("/media/<name>")
async def media_file(name: str) -> Response:
    parsed = parse_media_name(name)
    if parsed is None:
        abort(404)
    state = app_state()
    account = current_account()
    async with state.sessionmaker() as db:
        found = await case_repo.get_image_and_case_by_media_key(db, parsed.key)
        if found is None:
            # A frame of a series' stack: served exactly as the case's own images.
            found = await dicom_repo.stack_image_and_case(db, parsed.key)
        if found is None:
            abort(404)
        image, case = found
        facts = case_facts(case)
        viewer = await viewer_for(db, account)
    expected_extension = ".jpg" if image.media_type == "image/jpeg" else ".png"
    if parsed.extension != expected_extension:
        abort(404)
    published = case.state == CaseState.PUBLISHED and not case.hidden
    if not (can_view_case(viewer, facts) or (published and federates(facts))):
        abort(404)
    public = published and case.visibility == Visibility.PUBLIC
    response = media_response(
        state.settings.media_serving,
        state.media_store,
        parsed,
        {
            "Cache-Control": "public, max-age=31536000, immutable" if public else NOT_CACHEABLE,
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )
    if response is None:
        abort(404)
    if not published:
        async with state.transaction() as db:
            record(
                db,
                _entry(account, "media.view_unpublished", case.id, name),
            )
    return response


def _entry(account, action: str, case_id: int, name: str):  # type: ignore[no-untyped-def]
    from fediverse_cases.services.operator import Operator

    operator = Operator(
        account.id if account else None, account.username if account else "anonymous", client_ip()
    )
    return operator.entry(action, target_type="media", target_id=name, case_id=case_id)
