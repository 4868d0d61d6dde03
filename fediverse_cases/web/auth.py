"""Who is signed in: loading the current account from the session cookie, and view guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from quart import abort, g, redirect, request, session, url_for

from fediverse_cases.core.accounts import can_post_and_comment, can_review, is_admin
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.models import Account
from fediverse_cases.storage.repositories.accounts import get_account
from fediverse_cases.web.state import app_state

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


async def load_current_account() -> None:
    g.account = None
    account_id = session.get("uid")
    if account_id is None:
        return
    async with app_state().sessionmaker() as db:
        account = await get_account(db, int(account_id))
    if account is None or account.disabled or account.session_version != session.get("sv"):
        session.clear()
        return
    g.account = account


def current_account() -> Account | None:
    return g.get("account")


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
