"""Who is signed in: loading the current account from the session cookie, and view guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from quart import abort, g, redirect, request, session, url_for

from fediverse_cases.core.accounts import can_post_and_comment, can_review, is_admin
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.models import Account, Actor
from fediverse_cases.storage.repositories.accounts import get_account, get_actor_for_account
from fediverse_cases.web.fresh_values import detached_copy, fresh_values
from fediverse_cases.web.state import app_state

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
# Session keys of a single sign-on session: which provider signed the person in, and (after our
# sign-out only) which provider's logout to hand over to.
SSO_PROVIDER_KEY = "sso_provider"
SSO_LOGOUT_KEY = "sso_logout"


async def load_current_account() -> None:
    g.account = None
    account_id = session.get("uid")
    if account_id is None:
        return
    account = await fresh_values().get(f"account {int(account_id)}", lambda: _load_account(int(account_id)))
    if account is not None:
        account = detached_copy(account)
    if account is None or account.disabled or account.session_version != session.get("sv"):
        session.clear()
        return
    g.account = account


async def _load_account(account_id: int) -> Account | None:
    async with app_state().sessionmaker() as db:
        return await get_account(db, account_id)


def current_account() -> Account | None:
    return g.get("account")


async def current_actor() -> Actor | None:
    """The signed-in person's actor, for reading (a copy of the row kept between requests: this
    request's alone). Views that change the actor load it in their own transaction."""
    account = current_account()
    if account is None:
        return None

    async def load() -> Actor | None:
        async with app_state().sessionmaker() as db:
            return await get_actor_for_account(db, account.id)

    actor = await fresh_values().get(f"actor of account {account.id}", load)
    return detached_copy(actor) if actor is not None else None


def sign_in(account: Account) -> None:
    session.clear()  # a fresh session id on sign-in prevents session fixation
    session["uid"] = account.id
    session["sv"] = account.session_version
    session.permanent = True


def client_ip() -> str:
    return request.remote_addr or ""


def operator_for(account: Account) -> Operator:
    """Who the audit log records for an action by ``account`` from this request's address."""
    return Operator(account.id, account.username, client_ip())


def current_operator() -> Operator:
    """The signed-in person as the audit log's operator (views behind a login guard only)."""
    account = current_account()
    assert account is not None, "current_operator() is used behind a login guard"
    return operator_for(account)


def _guard(check: Callable[[Account | None], bool]) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            account = current_account()
            if account is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if not check(account):
                abort(403)
            return await view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


login_required = _guard(lambda account: account is not None)
professional_required = _guard(can_post_and_comment)
reviewer_required = _guard(can_review)
admin_required = _guard(is_admin)


def safe_next(target: str) -> str:
    """Only same-site paths: an open redirect after sign-in is a phishing aid. Browsers read a
    backslash as a slash (``/\\evil.example`` goes off-site) and drop tabs and newlines, so any of
    those refuses the target outright."""
    if not target.startswith("/") or any(ch == "\\" or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return ""
    parts = urlsplit(target)
    if target.startswith("//") or parts.netloc or parts.scheme:
        return ""
    return target
