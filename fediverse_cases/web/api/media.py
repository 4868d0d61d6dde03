"""``POST /api/v2/media`` (and v1), ``GET``/``PUT /api/v1/media/:id``: uploads de-identified at
once (fail closed), owned by their uploader; another person's media id is simply not found."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from fediverse_cases.services.api_statuses import ApiRefusal, upload_media
from fediverse_cases.storage.repositories import oauth as oauth_repo
from fediverse_cases.web.api.auth import api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.status_serializers import attachment_json
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_media", __name__)


async def _create() -> Response:
    account = require_account()
    files = await request.files
    upload = files.get("file")
    if upload is None:
        raise ApiError(422, "Validation failed: File can't be blank")
    params = await read_params()
    try:
        media = await upload_media(
            app_state(),
            account,
            upload.read(),
            upload.filename or "",
            upload.mimetype or "",
            params.get("description"),
        )
    except ApiRefusal as refusal:
        raise ApiError(refusal.status, refusal.message) from None
    # Processing finished inside the request, so the attachment is complete: 200, not 202.
    return jsonify(attachment_json(media, app_state().settings.instance.base_url))


@blueprint.post("/api/v2/media")
@api_view("write:media")
async def create_v2() -> Response:
    return await _create()


@blueprint.post("/api/v1/media")
@api_view("write:media")
async def create_v1() -> Response:
    return await _create()


async def _own(media_id: str):  # type: ignore[no-untyped-def]
    account = require_account()
    if not media_id.isdigit() or len(media_id) > 18:
        raise not_found()
    async with app_state().sessionmaker() as db:
        media = await oauth_repo.get_media_upload(db, int(media_id))
    if media is None or media.account_id != account.id:
        raise not_found()
    return media


@blueprint.get("/api/v1/media/<media_id>")
@api_view("write:media")
async def show(media_id: str) -> Response:
    media = await _own(media_id)
    return jsonify(attachment_json(media, app_state().settings.instance.base_url))


@blueprint.put("/api/v1/media/<media_id>")
@api_view("write:media")
async def update(media_id: str) -> Response:
    media = await _own(media_id)
    if media.case_id is not None:
        raise ApiError(422, "Validation failed: media attached to a status is edited on the case")
    params = await read_params()
    async with app_state().transaction() as db:
        stored = await oauth_repo.get_media_upload(db, media.id)
        assert stored is not None
        if params.has("description"):
            stored.description = params.get("description").strip()[:1500]
        if params.has("focus"):
            stored.focus = params.get("focus")[:32]
        media = stored
    return jsonify(attachment_json(media, app_state().settings.instance.base_url))
