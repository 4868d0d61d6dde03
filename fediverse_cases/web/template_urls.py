"""``url_for`` for the templates: each URL built once per process and then read from memory.

A page builds the same few dozen URLs on every request (the stylesheet, the navigation, the
forms of the case it shows), and werkzeug's ``build`` costs tens of microseconds each: a signed-in
case page spent more on building its links than on its kept values. A URL is a function of the
endpoint, its values and the request's root path alone (no ``url_defaults`` are registered, no
host or subdomain matching), so it is kept under those. Anything else goes to Quart unchanged:
external URLs (they name the request's host), relative endpoints (they name the request's
blueprint), calls outside a request, values that cannot be a key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quart.globals import _cv_request

from fediverse_cases.web.kept_entries import keep_bounded

__all__ = ["TemplateUrls"]

# URLs kept per process; past that, the oldest are built again when next asked for.
MAX_URLS = 4096


class TemplateUrls:
    """A drop-in ``url_for`` for Jinja's globals, over ``build`` (``app.url_for``)."""

    def __init__(self, build: Callable[..., str], max_urls: int = MAX_URLS) -> None:
        self._build = build
        self._max_urls = max_urls
        self._urls: dict[tuple[Any, ...], str] = {}

    def __call__(self, endpoint: str, **values: Any) -> str:
        # Quart's own record of the current request (what its url_for reads), without a proxy.
        request_context = _cv_request.get(None)
        if (
            request_context is None
            or endpoint.startswith(".")
            or "_external" in values
            or "_scheme" in values
        ):
            return self._build(endpoint, **values)
        key = (request_context.request.root_path, endpoint, *sorted(values.items()))
        try:
            return self._urls[key]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be a key (a list of tags, say)
            return self._build(endpoint, **values)
        url = self._build(endpoint, **values)
        keep_bounded(self._urls, key, url, self._max_urls)
        return url
