"""The signed session cookie: Quart's ``SecureCookieSessionInterface``, with two costs of every
signed-in request taken off.

- The signing serializer is built once per secret key, not on every open and save (Quart builds
  a new one, deriving its HMAC key, each time).
- A signed-in (permanent) session's cookie is sent again, which moves its expiry on
  (``PERMANENT_SESSION_LIFETIME`` after the last refresh), when the session changed or the cookie
  is at least ``REFRESH_SECONDS`` old, not with every response: signing and sending it on every
  page was a tenth of a signed-in page's cost. An active reader still never meets the expiry;
  one who leaves is signed out at most ``REFRESH_SECONDS`` sooner than with a refresh per request.
"""

from __future__ import annotations

from time import time as wall_clock

from itsdangerous import BadSignature, URLSafeTimedSerializer
from quart import Quart
from quart.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from quart.wrappers import BaseRequestWebsocket

__all__ = ["REFRESH_SECONDS", "CookieSessions"]

REFRESH_SECONDS = 300


class _Session(SecureCookieSession):
    # wall_clock() when the cookie this session came from was signed; 0: no cookie yet.
    issued_at: float = 0.0


class CookieSessions(SecureCookieSessionInterface):
    session_class = _Session

    def __init__(self) -> None:
        self._serializer: tuple[tuple[object, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Quart) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer is None or self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
        return self._serializer[1]

    async def open_session(self, app: Quart, request: BaseRequestWebsocket) -> _Session | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if cookie is None:
            return _Session()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = signer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return _Session()
        session = _Session(data)
        session.issued_at = signed_at.timestamp()
        return session

    def should_set_cookie(self, app: Quart, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        issued_at = getattr(session, "issued_at", 0.0)
        return wall_clock() - issued_at >= REFRESH_SECONDS
