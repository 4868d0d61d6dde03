"""``/settings/apps``: the signed-in person's authorized applications, with a revoke button."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quart import Blueprint, Response, flash, redirect, url_for

from fediverse_cases.services import oauth as oauth_service
from fediverse_cases.services.api_scopes import format_scopes, parse_scopes
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import OAuthApp
from fediverse_cases.storage.repositories import oauth as oauth_repo
from fediverse_cases.web.auth import client_ip, current_account, login_required
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_settings", __name__)


@dataclass
class Authorization:
    app: OAuthApp
    scopes: str
    first_authorized: datetime
    last_used: datetime | None
    expires: datetime | None


@blueprint.get("/settings/apps")
@login_required
async def apps() -> str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        rows = await oauth_repo.active_tokens_for_account(db, account.id, utcnow())
    grouped: dict[int, Authorization] = {}
    for token, app in rows:
        item = grouped.get(app.id)
        if item is None:
            grouped[app.id] = Authorization(
                app, token.scopes, token.created_at, token.last_used_at, token.expires_at
            )
            continue
        item.scopes = format_scopes(parse_scopes(item.scopes) | parse_scopes(token.scopes))
        item.first_authorized = min(item.first_authorized, token.created_at)
        if token.last_used_at and (item.last_used is None or token.last_used_at > item.last_used):
            item.last_used = token.last_used_at
    return await render_template("settings_apps.html", authorizations=list(grouped.values()))


@blueprint.post("/settings/apps/<int:app_id>/revoke")
@login_required
async def revoke(app_id: int) -> Response:
    account = current_account()
    assert account is not None
    async with app_state().transaction() as db:
        count = await oauth_service.revoke_authorization(
            db, account, app_id, Operator(account.id, account.username, client_ip())
        )
    await flash("Access revoked." if count else "That application had no access to revoke.")
    return redirect(url_for("api.api_settings.apps"))
