"""A person's own settings (profile, verification request) and public profile pages."""

from __future__ import annotations

from quart import Blueprint, abort, flash, redirect, url_for
from werkzeug.wrappers import Response

from fediverse_cases.services import accounts as account_service
from fediverse_cases.services.push_subscriptions import ensure_vapid_key
from fediverse_cases.storage.repositories.accounts import get_account, get_account_by_username
from fediverse_cases.web.auth import current_account, current_operator, login_required
from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("profile", __name__)

PROFILE_FIELDS = (
    "display_name",
    "occupation",
    "specialty",
    "licence_number",
    "institution",
    "approve_followers",
)


@blueprint.get("/settings/profile")
@login_required
async def settings() -> str:
    return await render_template(
        "settings.html", account=current_account(), errors={}, vapid_public_key=await _vapid_public_key()
    )


async def _vapid_public_key() -> str:
    """For "Notify me on this device" (the page's <meta name="vapid-public-key">)."""
    async with app_state().transaction() as db:
        return (await ensure_vapid_key(db)).public_key


@blueprint.post("/settings/profile")
@login_required
async def update_profile() -> str | Response | tuple[str, int]:
    return await _change_account(account_service.update_profile, "Profile saved.")


@blueprint.post("/settings/verification")
@login_required
async def request_verification() -> str | Response | tuple[str, int]:
    return await _change_account(
        account_service.request_verification,
        "Verification requested. An administrator will check your registration and decide.",
    )


async def _change_account(change, success_message: str) -> str | Response | tuple[str, int]:  # type: ignore[no-untyped-def]
    state = app_state()
    values = await form_fields(PROFILE_FIELDS)
    signed_in = current_account()
    assert signed_in is not None
    try:
        async with state.transaction() as db:
            account = await get_account(db, signed_in.id)
            assert account is not None
            await change(db, state, account, values, current_operator())
    except account_service.AccountError as error:
        return (
            await render_template(
                "settings.html",
                account=signed_in,
                errors=error.field_errors,
                message=error.message,
                values=values,
                vapid_public_key=await _vapid_public_key(),
            ),
            422,
        )
    await flash(success_message)
    return redirect(url_for("profile.settings"))


@blueprint.get("/@<username>")
@blueprint.get("/users/<username>")
async def public_profile(username: str) -> str:
    async with app_state().sessionmaker() as db:
        account = await get_account_by_username(db, username)
    if account is None or account.disabled:
        abort(404)
    return await render_template("profile.html", person=account)
