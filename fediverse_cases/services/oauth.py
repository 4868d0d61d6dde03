"""OAuth 2 for the client API: app registration, authorization codes with PKCE, token issue,
client credentials, revocation, bearer-token authentication and the admin's script tokens.

Secrets, codes and tokens are random 256-bit values shown once; only their SHA-256 hashes are
stored (a leaked database yields nothing usable). Codes live ten minutes and work once; a
replayed code revokes what it issued (RFC 6749 §4.1.2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.services.api_scopes import (
    ScopeError,
    allowed_for,
    format_scopes,
    grants,
    parse_scopes,
    role_permits,
    within,
)
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, OAuthApp, OAuthAuthorizationCode, OAuthToken
from fediverse_cases.storage.repositories import audit as audit_repo
from fediverse_cases.storage.repositories import oauth as oauth_repo
from fediverse_cases.storage.repositories.accounts import get_account

OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)
MAX_REDIRECT_URIS = 10


@dataclass
class OAuthError(Exception):
    """An OAuth failure: ``error`` is the RFC 6749 code, ``description`` is for people."""

    error: str
    description: str
    status: int = 400

    def __str__(self) -> str:
        return self.description


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class RegisteredApp:
    app: OAuthApp
    client_secret: str


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    token: OAuthToken


@dataclass(frozen=True)
class AuthorizationRequest:
    app: OAuthApp
    redirect_uri: str
    scopes: frozenset[str]
    state: str
    code_challenge: str
    code_challenge_method: str


@dataclass(frozen=True)
class TokenContext:
    """Who is calling with a bearer token, and with which scopes."""

    token: OAuthToken
    app: OAuthApp
    account: Account | None
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return grants(self.scopes, scope) and role_permits(self.account, scope)


def _valid_redirect_uri(uri: str) -> bool:
    if uri == OOB_REDIRECT:
        return True
    # Native apps use custom schemes (com.example.app:/callback); forbid script-capable ones.
    scheme, _, rest = uri.partition(":")
    return bool(scheme) and bool(rest) and scheme.lower() not in ("javascript", "data", "vbscript", "file")


def _scopes_or_error(text: str | None, *, default: frozenset[str] | None = None) -> frozenset[str]:
    try:
        return parse_scopes(text) if default is None else parse_scopes(text, default=default)
    except ScopeError as error:
        raise OAuthError("invalid_scope", str(error), 422 if default is None else 400) from None


async def register_app(
    db: AsyncSession,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: str | None,
    website: str = "",
    owner_account_id: int | None = None,
) -> RegisteredApp:
    name = name.strip()
    if not name:
        raise OAuthError("invalid_request", "Validation failed: Application name can't be blank", 422)
    if len(name) > 200 or len(website) > 2048:
        raise OAuthError("invalid_request", "Validation failed: Application name or website is too long", 422)
    uris = [uri.strip() for uri in redirect_uris if uri.strip()]
    if not uris:
        raise OAuthError("invalid_request", "Validation failed: Redirect URI can't be blank", 422)
    if len(uris) > MAX_REDIRECT_URIS or not all(
        _valid_redirect_uri(uri) and len(uri) <= 2000 for uri in uris
    ):
        raise OAuthError("invalid_request", "Validation failed: Redirect URI must be an absolute URI.", 422)
    parsed_scopes = _scopes_or_error(scopes)
    secret = _new_secret()
    app = OAuthApp(
        client_id=secrets.token_urlsafe(32),
        client_secret_hash=hash_secret(secret),
        name=name,
        website=website.strip(),
        redirect_uris="\n".join(uris),
        scopes=format_scopes(parsed_scopes),
        owner_account_id=owner_account_id,
    )
    db.add(app)
    await db.flush()
    return RegisteredApp(app, secret)


def app_redirect_uris(app: OAuthApp) -> list[str]:
    return [uri for uri in app.redirect_uris.split("\n") if uri]


async def authenticate_client(db: AsyncSession, client_id: str, client_secret: str | None) -> OAuthApp:
    """The app named by ``client_id``; its secret must match when one is given or required."""
    app = await oauth_repo.get_app_by_client_id(db, client_id or "")
    if app is None:
        raise OAuthError("invalid_client", "Client authentication failed due to unknown client.", 401)
    if client_secret is not None and not hmac.compare_digest(
        app.client_secret_hash, hash_secret(client_secret)
    ):
        raise OAuthError("invalid_client", "Client authentication failed due to unknown client.", 401)
    return app


async def validate_authorization_request(
    db: AsyncSession,
    *,
    response_type: str,
    client_id: str,
    redirect_uri: str,
    scope: str | None,
    state: str = "",
    code_challenge: str = "",
    code_challenge_method: str = "",
) -> AuthorizationRequest:
    app = await oauth_repo.get_app_by_client_id(db, client_id or "")
    if app is None:
        raise OAuthError("invalid_client", "Client authentication failed due to unknown client.", 400)
    uris = app_redirect_uris(app)
    if not redirect_uri and len(uris) == 1:
        redirect_uri = uris[0]
    if redirect_uri not in uris:
        raise OAuthError("invalid_redirect_uri", "The redirect URI included is not valid.", 400)
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported.", 400)
    scopes = _scopes_or_error(scope, default=parse_scopes(app.scopes))
    if not within(scopes, parse_scopes(app.scopes)):
        raise OAuthError(
            "invalid_scope", "The requested scope exceeds the scopes registered for this app.", 400
        )
    if code_challenge:
        if code_challenge_method != "S256":
            raise OAuthError("invalid_request", "Only the S256 code challenge method is supported.", 400)
        if not 43 <= len(code_challenge) <= 128:
            raise OAuthError("invalid_request", "The code challenge must be 43 to 128 characters.", 400)
    elif code_challenge_method:
        raise OAuthError("invalid_request", "code_challenge_method given without code_challenge.", 400)
    return AuthorizationRequest(app, redirect_uri, scopes, state, code_challenge, code_challenge_method)


async def issue_code(
    db: AsyncSession, request: AuthorizationRequest, account: Account, operator: Operator
) -> tuple[str, frozenset[str]]:
    """A single-use code for the scopes this person's role allows; returns (code, granted scopes)."""
    granted = allowed_for(account, request.scopes)
    if not granted:
        raise OAuthError("access_denied", "Your account may not grant any of the requested scopes.", 403)
    code = _new_secret()
    db.add(
        OAuthAuthorizationCode(
            code_hash=hash_secret(code),
            app_id=request.app.id,
            account_id=account.id,
            redirect_uri=request.redirect_uri,
            scopes=format_scopes(granted),
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    audit_repo.record(
        db,
        operator.entry(
            "oauth.authorize",
            target_type="oauth_app",
            target_id=str(request.app.id),
            details={"app": request.app.name, "scopes": format_scopes(granted)},
        ),
    )
    return code, granted


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(expected, challenge)


async def _new_token(
    db: AsyncSession,
    app: OAuthApp,
    account_id: int | None,
    scopes: frozenset[str],
    expires_at: datetime | None = None,
) -> IssuedToken:
    plaintext = _new_secret()
    token = OAuthToken(
        token_hash=hash_secret(plaintext),
        app_id=app.id,
        account_id=account_id,
        scopes=format_scopes(scopes),
        expires_at=expires_at,
        created_at=utcnow(),
    )
    db.add(token)
    await db.flush()
    return IssuedToken(plaintext, token)


async def exchange_code(
    db: AsyncSession,
    *,
    client_id: str,
    client_secret: str | None,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
) -> IssuedToken:
    app = await authenticate_client(db, client_id, client_secret)
    stored = await oauth_repo.get_code_for_update(db, hash_secret(code or ""))
    invalid = OAuthError(
        "invalid_grant",
        "The provided authorization grant is invalid, expired, revoked, does not match the "
        "redirection URI used in the authorization request, or was issued to another client.",
        400,
    )
    if stored is None or stored.app_id != app.id:
        raise invalid
    now = utcnow()
    if stored.used_at is not None or not await oauth_repo.mark_code_used(db, stored.id, now):
        await oauth_repo.revoke_tokens_for_code_replay(db, app.id, stored.account_id, now)
        raise invalid
    if stored.expires_at <= now or (redirect_uri and redirect_uri != stored.redirect_uri):
        raise invalid
    if stored.code_challenge:
        if not code_verifier or not _pkce_matches(code_verifier, stored.code_challenge):
            raise invalid
    elif client_secret is None:
        # A client that proves nothing (no secret, no PKCE) gets nothing.
        raise OAuthError("invalid_client", "Client authentication failed due to unknown client.", 401)
    account = await get_account(db, stored.account_id)
    if account is None or account.disabled:
        raise invalid
    return await _new_token(db, app, account.id, parse_scopes(stored.scopes))


async def client_credentials_token(
    db: AsyncSession, *, client_id: str, client_secret: str | None, scope: str | None
) -> IssuedToken:
    if client_secret is None:
        raise OAuthError("invalid_client", "Client authentication failed due to unknown client.", 401)
    app = await authenticate_client(db, client_id, client_secret)
    registered = parse_scopes(app.scopes)
    scopes = _scopes_or_error(scope, default=registered)
    if not within(scopes, registered):
        raise OAuthError(
            "invalid_scope", "The requested scope exceeds the scopes registered for this app.", 400
        )
    # No user behind the token: only what an anonymous reader may do.
    return await _new_token(db, app, None, allowed_for(None, scopes))


async def revoke_token(db: AsyncSession, *, client_id: str, client_secret: str | None, token: str) -> None:
    """RFC 7009: revoking an unknown token succeeds silently; another client's token is refused."""
    app = await authenticate_client(db, client_id, client_secret)
    stored = await oauth_repo.get_token_by_hash(db, hash_secret(token or ""))
    if stored is None:
        return
    if stored.app_id != app.id:
        raise OAuthError("unauthorized_client", "You are not authorized to revoke this token", 403)
    if stored.revoked_at is None:
        stored.revoked_at = utcnow()


async def authenticate_bearer(db: AsyncSession, plaintext: str) -> TokenContext | None:
    """The caller behind a bearer token, or None when it is unknown, revoked, expired or its
    account is disabled."""
    if not plaintext:
        return None
    token = await oauth_repo.get_token_by_hash(db, hash_secret(plaintext))
    now = utcnow()
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
    ):
        return None
    app = await oauth_repo.get_app(db, token.app_id)
    if app is None:
        return None
    account = None
    if token.account_id is not None:
        account = await get_account(db, token.account_id)
        if account is None or account.disabled:
            return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        await oauth_repo.touch_token(db, token.id, now)
    return TokenContext(token, app, account, parse_scopes(token.scopes))


async def create_script_token(
    db: AsyncSession,
    account: Account,
    scopes_text: str,
    operator: Operator,
    *,
    expires_in: timedelta | None = None,
    label: str = "",
) -> IssuedToken:
    """A token for scripts and integrations (the ``tokens create`` command)."""
    scopes = _scopes_or_error(scopes_text)
    refused = sorted(scope for scope in scopes if not role_permits(account, scope))
    if refused:
        raise OAuthError(
            "invalid_scope", f"{account.username}'s role does not allow: {' '.join(refused)}", 422
        )
    registered = await register_app(
        db,
        name=label or f"Script token for {account.username}",
        redirect_uris=[OOB_REDIRECT],
        scopes=format_scopes(scopes),
        owner_account_id=account.id,
    )
    issued = await _new_token(
        db, registered.app, account.id, scopes, utcnow() + expires_in if expires_in else None
    )
    audit_repo.record(
        db,
        operator.entry(
            "oauth.token_created",
            target_type="account",
            target_id=account.username,
            details={"scopes": format_scopes(scopes), "token_id": issued.token.id},
        ),
    )
    return issued


async def revoke_authorization(db: AsyncSession, account: Account, app_id: int, operator: Operator) -> int:
    """Revoke every live token ``account`` gave ``app_id`` (the settings page's button)."""
    count = await oauth_repo.revoke_app_tokens_for_account(db, app_id, account.id, utcnow())
    if count:
        audit_repo.record(db, operator.entry("oauth.revoke", target_type="oauth_app", target_id=str(app_id)))
    return count
