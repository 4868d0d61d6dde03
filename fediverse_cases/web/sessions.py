"""The signed session cookie: Quart's ``SecureCookieSessionInterface``, with two costs of every
signed-in request taken off.

- The signing serializer is built once per secret key, not on every open and save (Quart builds
  a new one, deriving its HMAC key, each time).
- A signed-in (permanent) session's cookie is sent again, which moves its expiry on
  (``PERMANENT_SESSION_LIFETIME`` after the last refresh), when the session changed or the cookie
  is at least ``REFRESH_SECONDS`` old, not with every response: signing and sending it on every
  page was a tenth of a signed-in page's cost. An active reader still never meets the expiry;
  one who leaves is signed out at most ``REFRESH_SECONDS`` sooner than with a refresh per request.
- A cookie that verified is remembered with what it held (until the keys change), so the same
  cookie on the next page is not verified and decoded again; its age is still checked against
  the lifetime on every request. Only cookies this server signed are kept, so a client cannot
  fill the map, and it is bounded anyway.
"""

from __future__ import annotations

import time
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from quart import Quart
from quart.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from quart.wrappers import BaseRequestWebsocket

from fediverse_cases.web.kept_entries import copy_for_request, keep_bounded

__all__ = ["REFRESH_SECONDS", "CookieSessions"]

REFRESH_SECONDS = 300
# Verified cookies remembered per process; past that, the oldest are verified again when next seen.
MAX_OPENED_COOKIES = 4096


def wall_clock() -> float:
    """Seconds since the epoch: itsdangerous's clock (``time.time``), looked up on each call."""
    return time.time()


class _Session(SecureCookieSession):
    # wall_clock() when the cookie this session came from was signed; 0: no cookie yet.
    issued_at: float = 0.0


class CookieSessions(SecureCookieSessionInterface):
    session_class = _Session

    def __init__(self) -> None:
        self._serializer: tuple[tuple[object, ...], URLSafeTimedSerializer | None] | None = None
        # cookie -> (what it held, when it was signed), for cookies the current keys verified.
        self._opened: dict[str, tuple[dict[str, Any], float]] = {}

    def get_signing_serializer(self, app: Quart) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer is None or self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
            self._opened = {}
        return self._serializer[1]

    async def open_session(self, app: Quart, request: BaseRequestWebsocket) -> _Session | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if cookie is None:
            return _Session()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        opened = self._opened.get(cookie)
        if opened is None:
            try:
                data, signed_at = signer.loads(cookie, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return _Session()
            opened = (data, signed_at.timestamp())
            keep_bounded(self._opened, cookie, opened, MAX_OPENED_COOKIES)
        data, issued_at = opened
        if not 0 <= wall_clock() - issued_at <= max_age:  # what loads() refuses as expired
            del self._opened[cookie]
            return _Session()
        # The request may change its session; what the cookie held stays as it was.
        session = _Session(copy_for_request(data))
        session.issued_at = issued_at
        return session

    def should_set_cookie(self, app: Quart, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        issued_at = getattr(session, "issued_at", 0.0)
        return wall_clock() - issued_at >= REFRESH_SECONDS
