"""``POST /api/v1/apps`` (register a client) and ``GET /api/v1/apps/verify_credentials``."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.services import oauth as oauth_service
from fediverse_cases.web.api.auth import api_context, api_view
from fediverse_cases.web.api.errors import ApiError
from fediverse_cases.web.api.instance import vapid_public_key
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.auth import client_ip
from fediverse_cases.web.csrf import csrf_exempt
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_apps", __name__)


def app_json(app, vapid_key: str, client_secret: str | None = None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    uris = oauth_service.app_redirect_uris(app)
    body: dict[str, object] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website or None,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        # Mastodon's Application carries the server's VAPID key for Web Push clients.
        "vapid_key": vapid_key,
    }
    if client_secret is not None:
        body.update(client_id=app.client_id, client_secret=client_secret, client_secret_expires_at=0)
    return body


@blueprint.post("/api/v1/apps")
@csrf_exempt
async def create_app() -> Response:
    verdict = app_state().api_rate_limiter.hit(ip=client_ip(), token_id=None)
    if not verdict.allowed:
        raise ApiError(429, "Too many requests")
    params = await read_params()
    uris = params.get_list("redirect_uris")
    redirect_uris = [line for uri in uris for line in uri.replace("\r", "").split("\n")]
    scopes = " ".join(params.get_list("scopes")) if params.has("scopes") else None
    try:
        async with app_state().transaction() as db:
            registered = await oauth_service.register_app(
                db,
                name=params.get("client_name"),
                redirect_uris=redirect_uris,
                scopes=scopes,
                website=params.get("website"),
            )
    except oauth_service.OAuthError as error:
        raise ApiError(error.status, error.description) from None
    response = jsonify(app_json(registered.app, await vapid_public_key(), registered.client_secret))
    response.headers.update(verdict.headers())
    return response


@blueprint.get("/api/v1/apps/verify_credentials")
@api_view(user=False)
async def verify_app() -> Response:
    context = api_context()
    assert context is not None
    return jsonify(app_json(context.app, await vapid_public_key()))
