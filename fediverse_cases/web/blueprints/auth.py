"""Registration, sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from quart import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from fediverse_cases.core.accounts import RegistrationForm
from fediverse_cases.services import accounts as account_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.web.auth import client_ip, current_account, sign_in
from fediverse_cases.web.forms import form_fields
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
    if state.settings.registration == "closed":
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
        return await render_template("login.html", username="", next=request.args.get("next", ""))
    state = app_state()
    values = await form_fields(("username", "password", "next"))
    async with state.transaction() as db:
        result = await account_service.authenticate(
            db, state.passwords, values["username"], values["password"], ip=client_ip()
        )
    if result.account is None:
        status = 429 if result.outcome == account_service.LoginOutcome.THROTTLED else 401
        return (
            await render_template(
                "login.html", username=values["username"][:64], next=values["next"], message=result.message
            ),
            status,
        )
    sign_in(result.account)
    return redirect(_safe_next(values["next"]) or url_for("pages.home"))


@blueprint.post("/logout")
async def logout() -> Response:
    if current_account() is not None:
        session.clear()
    return redirect(url_for("pages.home"))


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect after sign-in is a phishing aid. Browsers read a
    backslash as a slash (``/\\evil.example`` goes off-site) and drop tabs and newlines, so any of
    those refuses the target outright."""
    if not target.startswith("/") or any(ch == "\\" or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return ""
    parts = urlsplit(target)
    if target.startswith("//") or parts.netloc or parts.scheme:
        return ""
    return target
