"""Rendered public federation documents, kept as bytes per process and answered without a
database session while fresh; strong ``ETag``s and ``If-None-Match`` → 304 on every one of them.

A route hands its renderer to ``cached_document``. On a miss the renderer runs inside the
change signal's ``capture()`` (``storage/change_signal.py``): every row it loads becomes a
dependency, stamped with the slot values read *before* it loaded anything. A hit checks those
few slots in the shared memory map — a commit anywhere on this host that touched one of the rows
(an edit, a key rotation, a new comment or follow, a withdrawal) has changed them, so the next
request renders again. Only 200s and 410s (tombstones) are kept; everything else is rendered each
time. Requests that carry an HTTP signature skip the cache where the route must verify and record
the signer (case and comment objects: peers that fetched a case get its Delete).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from quart import Quart, Response, current_app, g, make_response, request, session

from fediverse_cases.storage.change_signal import ChangeSignal, Versions
from fediverse_cases.web.kept_entries import KeptEntries

__all__ = [
    "DISCOVERY",
    "OBJECT",
    "SCOPE_KEY",
    "CachedDocument",
    "DocumentCache",
    "cached_document",
    "cached_page",
    "cached_view",
    "do_not_cache",
    "fresh_for_at_most",
    "init_document_cache",
]

EXTENSION = "fediverse_cases.documents"
# Set on the ASGI scope when a response came from a cache entry: (key, etag), for the fast path.
SCOPE_KEY = "fediverse_cases.document"
# Actors, WebFinger, NodeInfo, host-meta: other servers may keep them a minute (Mastodon keeps
# actors longer); our own copy is always current.
DISCOVERY = "public, max-age=60"
# Cases, comments, replies, outbox and collections: shared caches must revalidate (a cheap 304),
# so a withdrawn case is never served from anyone's cache in front of us.
OBJECT = "public, no-cache"
# Pages for visitors without a session: revalidate every time (the 304 is cheap), and never
# serve them to a request that carries a cookie.
PAGE = "no-cache"
# A page may show what the clock changes (a poll closing): it is rendered again at least this often.
PAGE_SECONDS = 60.0
_NO_STORE = "fediverse_cases.no_store"
_FRESH_UNTIL = "fediverse_cases.fresh_until"
_KEPT_STATUSES = (200, 410)
_KEPT_HEADERS = ("Vary", "Access-Control-Allow-Origin", "Content-Type")


@dataclass(frozen=True)
class CachedDocument:
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]
    etag: str
    versions: Versions
    # time.monotonic() after which the entry is rendered again; None: only the signal decides.
    expires_at: float | None = None

    def response(self) -> Response:
        return _answer(self.body, self.status, self.headers, self.etag)


# One process's rendered documents by request key (``web/kept_entries.py``).
DocumentCache = KeptEntries[CachedDocument]


def init_document_cache(app: Quart, signal: ChangeSignal, max_entries: int) -> DocumentCache:
    cache: DocumentCache = KeptEntries(signal, max_entries)
    app.extensions[EXTENSION] = cache
    return cache


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _not_modified(etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _answer(body: bytes, status: int, headers: Iterable[tuple[str, str]], etag: str) -> Response:
    if status == 200 and _not_modified(etag):
        response = Response(b"", status=304)
        for name, value in headers:
            if name != "Content-Type":
                response.headers[name] = value
    else:
        response = Response(body, status=status)
        for name, value in headers:
            response.headers[name] = value
    response.headers["ETag"] = etag
    return response


def _signed() -> bool:
    return "signature" in request.headers or "signature-input" in request.headers


async def cached_document(
    kind: str,
    render: Callable[[], Awaitable[Response]],
    *,
    cache_control: str,
    signed_ok: bool = True,
    depends_on: Iterable[str] = (),
    max_age: float | None = None,
) -> Response:
    """The response of ``render()`` for this request, from the cache when still fresh.

    ``kind`` separates documents that share a URL (the AS2 and HTML views of ``/users/x``).
    ``signed_ok=False`` renders signed requests every time (the renderer records the signer).
    ``depends_on`` adds change-signal keys that no loaded row stands for (``rows:accounts`` for
    a count of accounts). ``max_age`` bounds an entry's life in seconds; a renderer may shorten it
    with ``fresh_for_at_most`` or keep its answer out of the cache with ``do_not_cache``."""
    cache: DocumentCache = current_app.extensions[EXTENSION]
    if request.method not in ("GET", "HEAD") or (not signed_ok and _signed()):
        return await _with_etag(await render())
    key = f"{kind} {request.path}?{request.query_string.decode('latin-1')}"
    # A request that misses while the same document renders waits for that render (an expired
    # page under load would otherwise be rendered by every waiting connection at once).
    entry = await cache.find(key)
    if entry is not None:
        request.scope[SCOPE_KEY] = (key, entry.etag)
        return entry.response()
    future = cache.start_load(key)
    entry = None
    try:
        response, entry = await _render_entry(cache, render, cache_control, depends_on, max_age)
    finally:
        cache.end_load(key, future, entry)
    if entry is None:
        return response
    cache.store(key, entry)
    request.scope[SCOPE_KEY] = (key, entry.etag)
    return entry.response()


async def _render_entry(
    cache: DocumentCache,
    render: Callable[[], Awaitable[Response]],
    cache_control: str,
    depends_on: Iterable[str],
    max_age: float | None,
) -> tuple[Response, CachedDocument | None]:
    """The render's response, and the entry to keep (None when it must not be kept)."""
    snapshot = cache.signal.snapshot()
    with cache.signal.capture() as keys:
        response = await render()
    if response.status_code not in _KEPT_STATUSES or g.get(_NO_STORE) or session.modified:
        # A session the render wrote to (a CSRF token) belongs to this visitor alone.
        return response, None
    lifetimes = [seconds for seconds in (max_age, g.get(_FRESH_UNTIL)) if seconds is not None]
    body = await response.get_data()
    headers = tuple((name, response.headers[name]) for name in _KEPT_HEADERS if name in response.headers)
    entry = CachedDocument(
        body=body,
        status=response.status_code,
        headers=(*headers, ("Cache-Control", cache_control)),
        etag=_etag(body),
        versions=cache.signal.versions(snapshot, {*keys, *depends_on}),
        expires_at=time.monotonic() + min(lifetimes) if lifetimes else None,
    )
    return response, entry


def do_not_cache() -> None:
    """Keep this request's answer out of the document cache (a render with side effects)."""
    setattr(g, _NO_STORE, True)


def fresh_for_at_most(seconds: float) -> None:
    """What this render shows changes by itself within ``seconds`` (a poll closes)."""
    current = g.get(_FRESH_UNTIL)
    setattr(g, _FRESH_UNTIL, seconds if current is None else min(current, seconds))


async def _with_etag(response: Response) -> Response:
    """An uncached answer still gets its ETag and 304 (its own Cache-Control is kept)."""
    if response.status_code != 200:
        return response
    body = await response.get_data()
    headers = [(name, value) for name, value in response.headers.items() if name.lower() != "content-length"]
    return _answer(body, 200, headers, _etag(body))


def cached_view(
    kind: str, *, cache_control: str, signed_ok: bool = True, depends_on: Iterable[str] = ()
) -> Callable[[Callable[..., Awaitable[Response]]], Callable[..., Awaitable[Response]]]:
    """``cached_document`` as a decorator, placed under the route decorator."""

    def decorator(view: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Response:
            return await cached_document(
                kind,
                lambda: view(*args, **kwargs),
                cache_control=cache_control,
                signed_ok=signed_ok,
                depends_on=depends_on,
            )

        return wrapper

    return decorator


def cached_page(
    *, depends_on: Iterable[str] = ()
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Response]]]:
    """An HTML page, cached for visitors who send no cookie at all (no session, so nothing on the
    page is theirs); anyone with a cookie gets it rendered for them. ``depends_on`` names the
    change-signal keys of what may newly appear on the page (``table:cases`` for a feed)."""

    def decorator(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Response]]:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Response:
            async def render() -> Response:
                return await make_response(await view(*args, **kwargs))

            if request.cookies or g.get("account") is not None:
                return await render()
            return await cached_document(
                "html", render, cache_control=PAGE, depends_on=depends_on, max_age=PAGE_SECONDS
            )

        return wrapper

    return decorator
