"""``/api/v1/push/subscription`` (POST, GET, PUT, DELETE): Mastodon's Web Push API, one
subscription per access token, scope ``push``.

Parameters as Mastodon documents them, form-encoded (``subscription[endpoint]``,
``subscription[keys][p256dh]``, ``subscription[keys][auth]``, ``data[alerts][mention]``,
``data[policy]``) or as the same nesting in a JSON body; ``policy`` at the top level is accepted
too (Mastodon.py sends it there).
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify

from fediverse_cases.services import push_subscriptions as subscriptions
from fediverse_cases.storage.repositories import web_push as push_repo
from fediverse_cases.web.api.auth import api_context, api_view, require_account
from fediverse_cases.web.api.errors import ApiError
from fediverse_cases.web.api.params import Params, read_params
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_push", __name__)

NOT_FOUND = "Record not found"


def _nested(params: Params, *path: str) -> Any:
    """``a[b][c]`` from a form, or ``{"a": {"b": {"c": ...}}}`` from a JSON body; None if absent."""
    flat = path[0] + "".join(f"[{part}]" for part in path[1:])
    if params.has(flat):
        return params.values[flat][0]
    items = params.values.get(path[0])
    value: Any = items[0] if items else None
    for part in path[1:]:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _alerts(params: Params) -> dict[str, Any]:
    given: dict[str, Any] = {}
    prefix = "data[alerts]["
    for key, values in params.values.items():
        if key.startswith(prefix) and key.endswith("]") and values:
            given[key[len(prefix) : -1]] = values[0]
    nested = _nested(params, "data", "alerts")
    if isinstance(nested, dict):
        given.update(nested)
    return given


def _policy(params: Params) -> str | None:
    value = _nested(params, "data", "policy")
    if value is None and params.has("policy"):
        value = params.get("policy")
    return None if value is None else str(value)


def _token_id() -> int:
    context = api_context()
    assert context is not None
    return context.token.id


async def _render(subscription) -> Response:  # type: ignore[no-untyped-def]
    async with app_state().transaction() as db:
        key = await subscriptions.ensure_vapid_key(db)
    return jsonify(subscriptions.subscription_json(subscription, key.public_key))


@blueprint.post("/api/v1/push/subscription")
@api_view("push")
async def create() -> Response:
    account = require_account()
    params = await read_params()
    try:
        device = subscriptions.check_device(
            app_state().settings.web_push,
            str(_nested(params, "subscription", "endpoint") or ""),
            str(_nested(params, "subscription", "keys", "p256dh") or ""),
            str(_nested(params, "subscription", "keys", "auth") or ""),
        )
        policy = subscriptions.check_policy(_policy(params) or "all")
        async with app_state().transaction() as db:
            subscription = await subscriptions.subscribe_token(
                db,
                account_id=account.id,
                token_id=_token_id(),
                device=device,
                alerts=subscriptions.read_alerts(_alerts(params)),
                policy=policy,
            )
    except subscriptions.PushSubscriptionError as error:
        raise ApiError(error.status, error.message) from None
    return await _render(subscription)


@blueprint.get("/api/v1/push/subscription")
@api_view("push")
async def show() -> Response:
    require_account()
    async with app_state().sessionmaker() as db:
        subscription = await push_repo.subscription_for_token(db, _token_id())
    if subscription is None:
        raise ApiError(404, NOT_FOUND)
    return await _render(subscription)


@blueprint.put("/api/v1/push/subscription")
@api_view("push")
async def change() -> Response:
    require_account()
    params = await read_params()
    try:
        async with app_state().transaction() as db:
            subscription = await push_repo.subscription_for_token(db, _token_id())
            if subscription is None:
                raise ApiError(404, NOT_FOUND)
            subscriptions.update_alerts(subscription, _alerts(params), _policy(params))
            await db.flush()
    except subscriptions.PushSubscriptionError as error:
        raise ApiError(error.status, error.message) from None
    return await _render(subscription)


@blueprint.delete("/api/v1/push/subscription")
@api_view("push")
async def remove() -> Response:
    require_account()
    async with app_state().transaction() as db:
        subscription = await push_repo.subscription_for_token(db, _token_id())
        if subscription is not None:
            await push_repo.delete_subscription(db, subscription.id)
    return jsonify({})
