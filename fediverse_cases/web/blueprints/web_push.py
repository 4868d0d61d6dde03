"""Web Push in the web UI: the service worker at the site root, and "Notify me on this device"
(the settings page's toggle) registering or removing this browser's subscription.

The service worker is served from ``/sw.js`` (not ``/static/``) so its scope is the whole site.
The subscribe/unsubscribe endpoints take JSON from ``static/push-settings.js`` with the
session's CSRF token in ``X-CSRF-Token``; a browser subscription gets every alert.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app, jsonify, request, send_from_directory

from fediverse_cases.services import push_subscriptions as subscriptions
from fediverse_cases.web.auth import current_account, login_required
from fediverse_cases.web.state import app_state

blueprint = Blueprint("web_push", __name__)


@blueprint.get("/sw.js")
async def service_worker() -> Response:
    assert current_app.static_folder is not None
    response = await send_from_directory(current_app.static_folder, "sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    # Browsers check for a new service worker on navigation; never serve a stale one.
    response.headers["Cache-Control"] = "no-cache"
    return response


async def _json_body() -> dict[str, object]:
    body = await request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@blueprint.post("/settings/push")
@login_required
async def subscribe() -> tuple[Response, int] | Response:
    account = current_account()
    assert account is not None
    body = await _json_body()
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    assert isinstance(keys, dict)
    state = app_state()
    try:
        device = subscriptions.check_device(
            state.settings.web_push,
            str(body.get("endpoint") or ""),
            str(keys.get("p256dh") or ""),
            str(keys.get("auth") or ""),
        )
        async with state.transaction() as db:
            subscription = await subscriptions.subscribe_browser(db, account_id=account.id, device=device)
    except subscriptions.PushSubscriptionError as error:
        return jsonify({"error": error.message}), error.status
    return jsonify({"subscribed": True, "id": str(subscription.id)})


@blueprint.delete("/settings/push")
@login_required
async def unsubscribe() -> Response:
    account = current_account()
    assert account is not None
    body = await _json_body()
    async with app_state().transaction() as db:
        removed = await subscriptions.unsubscribe_browser(
            db, account_id=account.id, endpoint=str(body.get("endpoint") or "")
        )
    return jsonify({"subscribed": False, "removed": removed})
