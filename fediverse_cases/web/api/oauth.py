"""OAuth 2 endpoints: the consent page (``/oauth/authorize``), ``/oauth/token``,
``/oauth/revoke`` and the authorization server metadata (RFC 8414).

The consent page uses the signed-in browser session and a CSRF-protected approve/deny form; the
token and revoke endpoints authenticate the client instead and are CSRF-exempt.
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode, urlsplit

from quart import Blueprint, Response, jsonify, redirect, request, url_for

from fediverse_cases.services import oauth as oauth_service
from fediverse_cases.services.api_scopes import KNOWN_SCOPES, allowed_for, format_scopes
from fediverse_cases.services.operator import Operator
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.auth import client_ip, current_account
from fediverse_cases.web.csrf import csrf_exempt
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.security_headers import CONTENT_SECURITY_POLICY
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_oauth", __name__)

SCOPE_DESCRIPTIONS = {
    "read": "Read your timelines, cases, comments, notifications and account details",
    "write": "Post cases and comments, upload de-identified images, favourite and report",
    "follow": "Follow and unfollow accounts",
    "push": "Receive push notifications",
    "admin:read": "See the review queue (reviewers only)",
    "admin:write": "Approve or reject cases in the review queue (reviewers only)",
}


def _oauth_error(error: oauth_service.OAuthError) -> Response:
    response = jsonify({"error": error.error, "error_description": error.description})
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="fediverse-cases"'
    return response


def _with_query(uri: str, values: dict[str, str]) -> str:
    separator = "&" if "?" in uri else "?"
    return f"{uri}{separator}{urlencode({k: v for k, v in values.items() if v})}"


def _describe(scopes: frozenset[str]) -> list[tuple[str, str]]:
    described = []
    for scope in sorted(scopes):
        if scope in SCOPE_DESCRIPTIONS:
            described.append((scope, SCOPE_DESCRIPTIONS[scope]))
        else:
            parent, _, part = scope.rpartition(":")
            described.append((scope, f"{SCOPE_DESCRIPTIONS.get(parent, parent)}: only {part}"))
    return described


def _consent_csp(redirect_uri: str) -> str:
    # Chrome applies form-action to the redirect that follows the approve form too.
    parts = urlsplit(redirect_uri)
    if redirect_uri == oauth_service.OOB_REDIRECT:
        return CONTENT_SECURITY_POLICY
    target = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else f"{parts.scheme}:"
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {target}")


async def _authorization_request(values: dict[str, str]) -> oauth_service.AuthorizationRequest:
    async with app_state().sessionmaker() as db:
        return await oauth_service.validate_authorization_request(
            db,
            response_type=values.get("response_type", ""),
            client_id=values.get("client_id", ""),
            redirect_uri=values.get("redirect_uri", ""),
            scope=values.get("scope") or None,
            state=values.get("state", ""),
            code_challenge=values.get("code_challenge", ""),
            code_challenge_method=values.get("code_challenge_method", ""),
        )


AUTH_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


@blueprint.get("/oauth/authorize")
async def authorize() -> Response | tuple[str, int] | str:
    values = {name: request.args.get(name, "") for name in AUTH_FIELDS}
    try:
        auth_request = await _authorization_request(values)
    except oauth_service.OAuthError as error:
        # Never redirect to an unverified redirect URI: show the problem here instead.
        return await render_template("oauth/error.html", error=error), error.status
    account = current_account()
    if account is None:
        return redirect(url_for("auth.login", next=request.full_path))
    granted = allowed_for(account, auth_request.scopes)
    withheld = auth_request.scopes - granted
    body = await render_template(
        "oauth/authorize.html",
        app=auth_request.app,
        values=values,
        redirect_uri=auth_request.redirect_uri,
        granted=_describe(granted),
        withheld=_describe(withheld),
    )
    response = Response(body, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = _consent_csp(auth_request.redirect_uri)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/oauth/authorize")
async def decide() -> Response | tuple[str, int] | str:
    form = await request.form
    values = {name: form.get(name, "") for name in AUTH_FIELDS}
    try:
        auth_request = await _authorization_request(values)
    except oauth_service.OAuthError as error:
        return await render_template("oauth/error.html", error=error), error.status
    account = current_account()
    if account is None:
        return redirect(url_for("auth.login", next=url_for("api.api_oauth.authorize", **values)))
    if form.get("decision") != "approve":
        if auth_request.redirect_uri == oauth_service.OOB_REDIRECT:
            return await render_template("oauth/denied.html", app=auth_request.app)
        return redirect(
            _with_query(
                auth_request.redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The resource owner denied the request.",
                    "state": auth_request.state,
                },
            )
        )
    try:
        async with app_state().transaction() as db:
            code, _granted = await oauth_service.issue_code(
                db, auth_request, account, Operator(account.id, account.username, client_ip())
            )
    except oauth_service.OAuthError as error:
        return await render_template("oauth/error.html", error=error), error.status
    if auth_request.redirect_uri == oauth_service.OOB_REDIRECT:
        response = Response(
            await render_template("oauth/code.html", app=auth_request.app, code=code),
            content_type="text/html; charset=utf-8",
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    return redirect(_with_query(auth_request.redirect_uri, {"code": code, "state": auth_request.state}))


def _client_credentials(params_get) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    """client_id/client_secret from HTTP Basic (RFC 6749 §2.3.1) or from the body."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return "", None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    secret = params_get("client_secret")
    return params_get("client_id"), (secret or None)


@blueprint.post("/oauth/token")
@csrf_exempt
async def token() -> Response:
    params = await read_params()
    client_id, client_secret = _client_credentials(params.get)
    grant_type = params.get("grant_type")
    error: oauth_service.OAuthError | None = None
    # The transaction commits even when the grant is refused: a replayed or failed code stays
    # burned, and a replay's revocation of earlier tokens sticks.
    async with app_state().transaction() as db:
        try:
            if grant_type == "authorization_code":
                issued = await oauth_service.exchange_code(
                    db,
                    client_id=client_id,
                    client_secret=client_secret,
                    code=params.get("code"),
                    redirect_uri=params.get("redirect_uri"),
                    code_verifier=params.get("code_verifier") or None,
                )
            elif grant_type == "client_credentials":
                issued = await oauth_service.client_credentials_token(
                    db, client_id=client_id, client_secret=client_secret, scope=params.get("scope") or None
                )
            else:
                raise oauth_service.OAuthError(
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server.",
                    400,
                )
        except oauth_service.OAuthError as refused:
            error = refused
    if error is not None:
        return _oauth_error(error)
    token_row = issued.token
    body: dict[str, object] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": token_row.scopes,
        "created_at": int(token_row.created_at.timestamp()),
    }
    if token_row.expires_at is not None:
        body["expires_in"] = int((token_row.expires_at - token_row.created_at).total_seconds())
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/oauth/revoke")
@csrf_exempt
async def revoke() -> Response:
    params = await read_params()
    client_id, client_secret = _client_credentials(params.get)
    try:
        async with app_state().transaction() as db:
            await oauth_service.revoke_token(
                db, client_id=client_id, client_secret=client_secret, token=params.get("token")
            )
    except oauth_service.OAuthError as error:
        return _oauth_error(error)
    return jsonify({})


@blueprint.get("/.well-known/oauth-authorization-server")
async def metadata() -> Response:
    base = app_state().settings.instance.base_url
    return jsonify(
        {
            "issuer": f"{base}/",
            "service_documentation": f"{base}/api/fediverse_cases/openapi.json",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": format_scopes(KNOWN_SCOPES).split(),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
        }
    )
