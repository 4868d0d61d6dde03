"""The ASGI fast path of the cached documents: an anonymous, unsigned GET that asked exactly what
an earlier one asked gets the bytes and headers Quart sent then, without entering Quart at all,
while the document is still fresh (``web/doc_cache.py``).

On the way through Quart, ``cached_document`` marks the ASGI scope with the document it answered
from; this middleware then remembers the response's status and headers under the request's exact
path, query and ``Accept`` header. A later identical request is answered here only if the
document is still fresh and still has the same ``ETag`` (so the same bytes), otherwise it goes
through Quart again. Requests with a cookie, an HTTP signature, ``Authorization`` or conditional
headers always go through Quart (a session, a signer to check or record, a 304 to decide).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fediverse_cases.web.doc_cache import SCOPE_KEY, DocumentCache
from fediverse_cases.web.kept_entries import keep_bounded
from fediverse_cases.web.observability import ROUTE_KEY

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["CachedDocumentsFastPath"]

_SLOW_PATH_HEADERS = frozenset(
    {b"cookie", b"authorization", b"signature", b"signature-input", b"if-none-match", b"if-modified-since"}
)


@dataclass(frozen=True)
class _Served:
    document_key: str
    etag: str
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    route: str | None


class CachedDocumentsFastPath:
    def __init__(self, app: ASGIApp, cache: DocumentCache) -> None:
        self.app = app
        self.cache = cache
        self._served: dict[bytes, _Served] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        request_key = _request_key(scope)
        if request_key is None:
            await self.app(scope, receive, send)
            return
        served = self._served.get(request_key)
        if served is not None:
            entry = self.cache.lookup(served.document_key)
            if entry is not None and entry.etag == served.etag:
                if served.route is not None:
                    scope[ROUTE_KEY] = served.route
                await send(
                    {"type": "http.response.start", "status": served.status, "headers": served.headers}
                )
                body = b"" if scope["method"] == "HEAD" else entry.body
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            self._served.pop(request_key, None)
        await self._through_quart(request_key, scope, receive, send)

    async def _through_quart(self, request_key: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        started: Message | None = None

        async def capturing_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = message
            await send(message)

        await self.app(scope, receive, capturing_send)
        answered = scope.get(SCOPE_KEY)
        if answered is None or started is None or scope["method"] != "GET":
            return
        headers = tuple((bytes(name), bytes(value)) for name, value in started.get("headers", ()))
        if any(name.lower() == b"set-cookie" for name, _value in headers):
            return
        document_key, etag = answered
        self._remember(
            request_key, _Served(document_key, etag, int(started["status"]), headers, scope.get(ROUTE_KEY))
        )

    def _remember(self, request_key: bytes, served: _Served) -> None:
        if self.cache.max_entries > 0:
            keep_bounded(self._served, request_key, served, self.cache.max_entries)


def _request_key(scope: Scope) -> bytes | None:
    """Path, query and Accept of a request the fast path may answer; None for the others."""
    accept = b""
    for name, value in scope.get("headers", ()):
        lowered = name.lower()
        if lowered in _SLOW_PATH_HEADERS:
            return None
        if lowered == b"accept":
            accept = value
    return b"%s?%s\n%s" % (
        scope.get("raw_path") or scope["path"].encode(),
        scope.get("query_string", b""),
        accept,
    )
