"""DICOMweb STOW-RS: ``POST /dicom-web/studies[/{study}]`` (PS3.18 §10.5), where a PACS sends a study.

Authenticated with a bearer token of the sending clinician: one of their API tokens, or one an
admin issued for a modality with `fediverse-cases tokens create USER --scopes write:media
--name "CT 3"`. The token needs the ``write:media`` scope and the clinician must be a verified
professional. The body is ``multipart/related; type="application/dicom"``; the answer is the DICOM
JSON store result (stored and failed instances, each failure with its FailureReason code and a
``Warning`` header saying why in words) and, when a draft case was made, its address in
``Location``. Refusals of the whole request are JSON with an ``error`` sentence.
"""

from __future__ import annotations

import asyncio
import json

from quart import Blueprint, Quart, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from fediverse_cases.dicom import store_result
from fediverse_cases.dicom.multipart import MultipartError, parse_related
from fediverse_cases.services import dicom_intake, dicom_listener
from fediverse_cases.services.oauth import authenticate_bearer
from fediverse_cases.web.api.auth import bearer_token
from fediverse_cases.web.auth import client_ip
from fediverse_cases.web.csrf import csrf_exempt
from fediverse_cases.web.state import AppState, app_state

blueprint = Blueprint("dicomweb", __name__)

SCOPE = "write:media"
# Part headers and boundaries around the instances.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


def init_listener(app: Quart, state: AppState) -> None:
    """``[dicom] listener_in_serve``: the C-STORE listener runs inside `serve` (one worker)."""
    if not state.settings.dicom.listener_in_serve:
        return
    running: list[dicom_listener.Listener] = []

    @app.before_serving
    async def start_dicom_listener() -> None:
        running.append(dicom_listener.start(state, asyncio.get_running_loop()))

    @app.after_serving
    async def stop_dicom_listener() -> None:
        while running:
            listener = running.pop()
            await asyncio.to_thread(listener.stop)
            await listener.drain()


def _accepts_json() -> bool:
    accept = request.accept_mimetypes
    if not request.headers.get("Accept"):
        return True
    return any(accept[kind] for kind in ("application/dicom+json", "application/json"))


def _error(status: int, message: str, **headers: str) -> Response:
    return Response(
        json.dumps({"error": message}), status=status, content_type="application/json", headers=headers
    )


@blueprint.post("/dicom-web/studies")
@blueprint.post("/dicom-web/studies/<study_uid>")
@csrf_exempt
async def store_instances(study_uid: str | None = None) -> Response:
    state = app_state()
    token = bearer_token()
    async with state.transaction() as db:
        context = await authenticate_bearer(db, token) if token else None
    if context is None:
        return _error(
            401,
            "unknown, revoked or missing bearer token" if token else "a bearer token is required",
            **{"WWW-Authenticate": 'Bearer realm="dicom-web"'},
        )
    verdict = state.api_rate_limiter.hit(ip=client_ip(), token_id=context.token.id)
    if not verdict.allowed:
        return _error(429, "too many requests; nothing was stored", **verdict.headers())
    if not _accepts_json():
        return _error(406, "the store result is only available as application/dicom+json")
    if not context.allows(SCOPE):
        return _error(403, f"the token lacks the {SCOPE} scope")
    try:
        account = dicom_intake.check_sender(context.account)
    except dicom_intake.IntakeRefused as refused:
        return _error(refused.status, refused.message)
    cap = state.settings.dicom.max_study_bytes + MULTIPART_OVERHEAD_BYTES
    if request.content_length is not None and request.content_length > cap:
        message = dicom_intake.too_large(state, request.content_length) or "the study is too large"
        return _error(413, message + "; nothing was stored")
    request.max_content_length = cap
    request.body._max_content_length = cap  # Quart counts streamed (chunked) bytes against it
    try:
        body = await request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _error(413, "the study is larger than this instance accepts at once; nothing was stored")
    try:
        parts = parse_related(request.headers.get("Content-Type", ""), body)
    except MultipartError as error:
        return _error(415 if error.unsupported_type else 400, f"{error}; nothing was stored")
    if not parts:
        return _error(400, "the multipart body holds no parts")
    try:
        result = await dicom_intake.receive_study(state, account, parts, via="stow-rs", study_uid=study_uid)
    except dicom_intake.IntakeRefused as refused:
        return _error(refused.status, refused.message + "; nothing was stored")
    # The draft's page in the composer, where its author completes it (only they can see it).
    case_url = (
        f"{state.settings.instance.base_url}/compose/{result.case_public_id}" if result.case_public_id else ""
    )
    response = Response(
        json.dumps(store_result.response_body(result.stored, result.failed)),
        status=store_result.http_status(result.stored, result.failed),
        content_type="application/dicom+json",
    )
    for warning in store_result.warning_headers(result.failed):
        response.headers.add("Warning", warning)
    if case_url:
        response.headers["Location"] = case_url
    return response
