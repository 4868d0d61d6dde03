"""CSRF protection for every state-changing form: a per-session token checked before the view.

Endpoints that authenticate otherwise (HTTP-signed ActivityPub inboxes, bearer-token API calls)
opt out with ``@csrf_exempt``; everything else that is not GET/HEAD/OPTIONS is checked.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from quart import Quart, abort, current_app, request, session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "csrf"
F = TypeVar("F", bound=Callable[..., Any])


def csrf_exempt(view: F) -> F:
    view._csrf_exempt = True  # type: ignore[attr-defined]
    return view


def csrf_token() -> str:
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


async def _check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "_csrf_exempt", False):
        return
    expected = session.get(SESSION_KEY, "")
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent:
        form = await request.form
        sent = form.get("csrf_token", "")
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        abort(
            400,
            description="This form has expired or did not come from this site. Reload the page and try again.",
        )


def init_csrf(app: Quart) -> None:
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
