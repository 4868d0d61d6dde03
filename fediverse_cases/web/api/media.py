"""``POST /api/v2/media`` (202, de-identified by a job), ``POST /api/v1/media`` (200, waits for
its job), ``GET``/``PUT /api/v1/media/:id``.

As in Mastodon, ``GET`` answers 206 with ``url: null`` while processing and 200 when done; an
image the de-identifier refused (fail closed) answers 422 with the reason. Uploads are owned by
their uploader: another person's media id is simply not found.
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from fediverse_cases.services import api_media
from fediverse_cases.services.api_statuses import ApiRefusal
from fediverse_cases.storage.models import MediaUpload
from fediverse_cases.storage.repositories import oauth as oauth_repo
from fediverse_cases.web.api.auth import api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.status_serializers import attachment_json
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_media", __name__)


async def _file() -> tuple[bytes, str, str, str]:
    files = await request.files
    upload = files.get("file")
    if upload is None:
        raise ApiError(422, "Validation failed: File can't be blank")
    params = await read_params()
    return upload.read(), upload.filename or "", upload.mimetype or "", params.get("description")


def _render(media: MediaUpload) -> Response:
    """200 when ready, 206 while processing (``url`` null), 422 when refused."""
    if media.state == "failed":
        raise ApiError(422, f"Validation failed: {media.error}")
    response = jsonify(attachment_json(media, app_state().settings.instance.base_url))
    if media.state != "ready":
        response.status_code = 206
    return response


@blueprint.post("/api/v2/media")
@api_view("write:media")
async def create_v2() -> Response:
    account = require_account()
    data, filename, declared_type, description = await _file()
    state = app_state()
    try:
        media, _job_id = await api_media.accept_upload(
            state, account, data, description, filename, declared_type
        )
    except ApiRefusal as refusal:
        raise ApiError(refusal.status, refusal.message) from None
    response = jsonify(attachment_json(media, state.settings.instance.base_url))
    response.status_code = 202
    return response


@blueprint.post("/api/v1/media")
@api_view("write:media")
async def create_v1() -> Response:
    account = require_account()
    data, filename, declared_type, description = await _file()
    try:
        media = await api_media.upload_synchronously(
            app_state(), account, data, filename, declared_type, description
        )
    except ApiRefusal as refusal:
        raise ApiError(refusal.status, refusal.message) from None
    return jsonify(attachment_json(media, app_state().settings.instance.base_url))


async def _own(media_id: str) -> MediaUpload:
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
    return _render(await _own(media_id))


@blueprint.put("/api/v1/media/<media_id>")
@api_view("write:media")
async def update(media_id: str) -> Response:
    media = await _own(media_id)
    if media.case_id is not None:
        raise ApiError(422, "Validation failed: media attached to a status is edited on the case")
    params = await read_params()
    async with app_state().transaction() as db:
        stored = await oauth_repo.get_media_upload(db, media.id)
        if stored is None:
            raise not_found()
        if params.has("description"):
            stored.description = params.get("description").strip()[:1500]
        if params.has("focus"):
            stored.focus = params.get("focus")[:32]
        media = stored
    return _render(media)
