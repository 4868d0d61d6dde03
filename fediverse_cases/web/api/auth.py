"""Bearer-token authentication, scope checks and rate limiting for API views.

``@api_view(scope="write:statuses")`` makes a view CSRF-exempt (no cookie is ever trusted
here, only the ``Authorization: Bearer`` header), authenticates the token, checks the scope
against both the token and the person's role, applies the rate limits and leaves the caller in
``g.api``. ``user=False`` views also accept app-only tokens; ``public=True`` views accept no
token at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from quart import g, request

from fediverse_cases.services.oauth import TokenContext, authenticate_bearer
from fediverse_cases.storage.models import Account
from fediverse_cases.web.api.errors import ApiError
from fediverse_cases.web.auth import client_ip
from fediverse_cases.web.csrf import csrf_exempt
from fediverse_cases.web.state import app_state

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

INVALID_TOKEN = "The access token is invalid"
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
USER_REQUIRED = "This method requires an authenticated user"


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    # Mastodon also accepts the token as a parameter (used by streaming clients).
    return request.args.get("access_token", "")


async def _authenticate() -> TokenContext | None:
    plaintext = bearer_token()
    if not plaintext:
        return None
    async with app_state().transaction() as db:
        context = await authenticate_bearer(db, plaintext)
    if context is None:
        raise ApiError(401, INVALID_TOKEN)
    return context


def _rate_limit(context: TokenContext | None) -> None:
    verdict = app_state().api_rate_limiter.hit(ip=client_ip(), token_id=context.token.id if context else None)
    g.rate_limit_headers = verdict.headers()
    if not verdict.allowed:
        raise ApiError(429, "Too many requests")


def api_view(scope: str | None = None, *, user: bool = True, public: bool = False) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            context = await _authenticate()
            _rate_limit(context)
            g.api = context
            if context is None:
                if not public:
                    raise ApiError(401, INVALID_TOKEN)
            else:
                if scope is not None and not context.allows(scope):
                    raise ApiError(403, OUTSIDE_SCOPES)
                if user and not public and context.account is None:
                    raise ApiError(422, USER_REQUIRED)
            return await view(*args, **kwargs)

        return csrf_exempt(wrapper)  # type: ignore[return-value]

    return decorator


def api_context() -> TokenContext | None:
    return g.get("api")


def api_account() -> Account | None:
    context = api_context()
    return context.account if context else None


def require_account() -> Account:
    account = api_account()
    if account is None:
        raise ApiError(422, USER_REQUIRED)
    return account
