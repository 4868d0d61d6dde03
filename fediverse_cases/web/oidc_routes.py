"""Single sign-on pages: start a sign-in (or a link) at a provider, take its answer at the
callback, list and link the person's provider identities, and hand over to the provider's
logout after ours. The protocol lives in services.sso_protocol, the decisions in services.sso.
"""

from __future__ import annotations

import secrets

from quart import Blueprint, Response, abort, flash, redirect, request, session, url_for

from fediverse_cases.services import sso
from fediverse_cases.services.sso_claims import person_from_claims
from fediverse_cases.services.sso_errors import SignInRefused
from fediverse_cases.services.sso_protocol import OidcError
from fediverse_cases.settings_sso import OidcProviderSettings
from fediverse_cases.storage.repositories import oidc as oidc_repo
from fediverse_cases.web.auth import (
    SSO_LOGOUT_KEY,
    SSO_PROVIDER_KEY,
    client_ip,
    current_account,
    login_required,
    safe_next,
    sign_in,
)
from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("sso", __name__)

BROWSER_KEY = "sso_browser"


def _provider(provider_id: str) -> OidcProviderSettings:
    provider = app_state().settings.sso.provider(provider_id)
    if provider is None:
        abort(404)
    return provider


def _redirect_uri(provider: OidcProviderSettings) -> str:
    return f"{app_state().settings.instance.base_url}/login/sso/{provider.id}/callback"


async def _failure(provider_id: str, error: SignInRefused, *, subject: str = "") -> tuple[str, int]:
    state = app_state()
    async with state.transaction() as db:
        sso.record_failure(db, provider_id, error.reason, client_ip(), subject=subject)
    status = 403 if error.reason in ("unmapped_user", "account_disabled", "email_in_use") else 400
    provider = state.settings.sso.provider(provider_id)
    return (
        await render_template(
            "sso_error.html", message=error.message, reason=error.reason, provider=provider
        ),
        status,
    )


async def _continue_to(provider: OidcProviderSettings, target: str, heading: str) -> Response:
    """A page that moves on to the provider, not a redirect: our CSP's ``form-action 'self'``
    also covers redirects after a form post, and the sign-in buttons are forms (CSRF)."""
    body = await render_template("sso_redirect.html", provider=provider, target=target, heading=heading)
    return Response(body, headers={"Cache-Control": "no-store"}, content_type="text/html; charset=utf-8")


async def _start(
    provider: OidcProviderSettings, *, next_path: str, link_account_id: int | None
) -> Response | tuple[str, int]:
    state = app_state()
    try:
        authorization = await state.oidc.authorization_request(provider, _redirect_uri(provider))
    except OidcError as error:
        return await _failure(provider.id, error)
    browser_secret = session.get(BROWSER_KEY) or secrets.token_urlsafe(32)
    session[BROWSER_KEY] = browser_secret
    async with state.transaction() as db:
        await sso.remember_sign_in(
            db,
            provider,
            authorization,
            browser_secret=browser_secret,
            next_path=next_path,
            link_account_id=link_account_id,
        )
    return await _continue_to(provider, authorization.url, f"Signing in with {provider.label}")


@blueprint.post("/login/sso/<provider_id>")
async def start(provider_id: str) -> Response | tuple[str, int]:
    provider = _provider(provider_id)
    values = await form_fields(("next",))
    return await _start(provider, next_path=safe_next(values["next"]), link_account_id=None)


@blueprint.post("/settings/sso/<provider_id>/link")
@login_required
async def link(provider_id: str) -> Response | tuple[str, int]:
    provider = _provider(provider_id)
    account = current_account()
    assert account is not None
    return await _start(provider, next_path=url_for("sso.identities"), link_account_id=account.id)


@blueprint.get("/login/sso/<provider_id>/callback")
async def callback(provider_id: str) -> Response | tuple[str, int]:
    provider = _provider(provider_id)
    state = app_state()
    args = request.args
    try:
        async with state.transaction() as db:
            pending = await sso.take_sign_in(db, args.get("state", "")[:200])
        sso.check_sign_in(pending, provider.id, str(session.get(BROWSER_KEY, "")))
    except SignInRefused as error:
        return await _failure(provider.id, error)
    if args.get("error"):
        # The provider refused (the person cancelled, or is not allowed to use this client).
        message = f"The sign-in service did not sign you in ({args.get('error', '')[:60]})."
        return await _failure(provider.id, OidcError("provider_refused", message))
    if pending.link_account_id is not None:
        account = current_account()
        if account is None or account.id != pending.link_account_id:
            return await _failure(
                provider.id, sso.SsoError("link_other_account", "Sign in again, then link.")
            )
    try:
        verified = await state.oidc.complete(
            provider,
            code=args.get("code", "")[:2048],
            redirect_uri=_redirect_uri(provider),
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
        )
        person = person_from_claims(provider, verified.claims)
    except SignInRefused as error:
        return await _failure(provider.id, error)
    try:
        async with state.transaction() as db:
            outcome = await sso.sign_in_with_claims(
                db, state, state.urls, provider, person, pending=pending, ip=client_ip()
            )
    except SignInRefused as error:
        return await _failure(provider.id, error, subject=person.subject)
    sign_in(outcome.account)
    session[SSO_PROVIDER_KEY] = provider.id
    if outcome.linked:
        await flash(f"Your account is now linked to {provider.label}.")
    return redirect(safe_next(pending.next_path) or url_for("pages.home"))


@blueprint.get("/settings/sso")
@login_required
async def identities() -> str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        linked = {identity.provider for identity in await oidc_repo.identities_of(db, account.id)}
    return await render_template(
        "sso_identities.html", providers=app_state().settings.sso.providers, linked=linked
    )


@blueprint.get("/logout/sso")
async def end_session() -> Response:
    """After our own sign-out (auth.logout), ask the provider to end its session too. Only right
    after a sign-out of an SSO session (a one-time marker in the cookie), never on a bare visit."""
    provider_id = session.pop(SSO_LOGOUT_KEY, None)
    provider = app_state().settings.sso.provider(provider_id) if isinstance(provider_id, str) else None
    home = f"{app_state().settings.instance.base_url}/"
    target = await app_state().oidc.end_session_url(provider, home) if provider else None
    if provider is None or target is None:
        return redirect(url_for("pages.home"))
    return await _continue_to(provider, target, f"Signing out of {provider.label}")
