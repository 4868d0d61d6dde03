"""Registration, sign-in and sign-out pages."""

from __future__ import annotations

from quart import Blueprint, flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from fediverse_cases.core.accounts import RegistrationForm
from fediverse_cases.services import accounts as account_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.sso import password_sign_in_allowed
from fediverse_cases.storage.repositories import audit
from fediverse_cases.storage.repositories.accounts import get_account_by_username
from fediverse_cases.web.auth import (
    SSO_LOGOUT_KEY,
    SSO_PROVIDER_KEY,
    client_ip,
    current_account,
    safe_next,
    sign_in,
)
from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("auth", __name__)

REGISTRATION_FIELDS = (
    "username",
    "email",
    "password",
    "display_name",
    "occupation",
    "specialty",
    "licence_number",
    "institution",
)


@blueprint.route("/register", methods=["GET", "POST"])
async def register() -> str | Response | tuple[str, int]:
    state = app_state()
    if state.settings.registration == "closed" or not state.settings.sso.local_passwords:
        return await render_template("register.html", closed=True, values={}, errors={}), 403
    if request.method == "GET":
        return await render_template("register.html", values={}, errors={})
    values = await form_fields(REGISTRATION_FIELDS)
    try:
        async with state.transaction() as db:
            account = await account_service.register(
                db,
                state.urls,
                state.passwords,
                RegistrationForm(**values),
                Operator(None, values["username"].strip().lower()[:64], client_ip()),
            )
    except account_service.AccountError as error:
        values.pop("password", None)
        return (
            await render_template(
                "register.html", values=values, errors=error.field_errors, message=error.message
            ),
            422,
        )
    sign_in(account)
    await flash("Welcome! Your account is ready. Professionals can request verification below.")
    return redirect(url_for("profile.settings"))


@blueprint.route("/login", methods=["GET", "POST"])
async def login() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return await render_template(
            "login.html",
            username="",
            next=request.args.get("next", ""),
            local=request.args.get("local") == "1",
        )
    state = app_state()
    values = await form_fields(("username", "password", "next"))
    username = values["username"].strip().lower()[:64]
    async with state.transaction() as db:
        if password_sign_in_allowed(
            state.settings.sso, await get_account_by_username(db, username), username
        ):
            result = await account_service.authenticate(
                db, state.passwords, values["username"], values["password"], ip=client_ip()
            )
        else:
            # Passwords are off here except for break-glass admins; said plainly, since the page
            # tells everyone to use the hospital sign-in anyway.
            audit.record(
                db,
                Operator(None, username, client_ip()).entry(
                    "login.failure",
                    target_type="account",
                    target_id=username,
                    details={"reason": "passwords_off"},
                ),
            )
            result = account_service.LoginResult(account_service.LoginOutcome.INVALID)
    if result.account is None:
        status = 429 if result.outcome == account_service.LoginOutcome.THROTTLED else 401
        return (
            await render_template(
                "login.html",
                username=values["username"][:64],
                next=values["next"],
                message=result.message,
                local=True,
            ),
            status,
        )
    sign_in(result.account)
    return redirect(safe_next(values["next"]) or url_for("pages.home"))


@blueprint.post("/logout")
async def logout() -> Response:
    provider = session.get(SSO_PROVIDER_KEY) if current_account() is not None else None
    if current_account() is not None:
        session.clear()
    if provider:
        # Signed in through a provider: offer it the chance to end its own session too.
        session[SSO_LOGOUT_KEY] = provider
        return redirect(url_for("sso.end_session"))
    return redirect(url_for("pages.home"))
