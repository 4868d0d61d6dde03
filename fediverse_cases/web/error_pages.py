"""Error pages in the site's own layout, in our words (never the framework's default text).

``render_error_page`` turns any HTTP error into ``error.html`` with a title and an explanation
a clinician can act on. An explicit description given with ``abort(code, "...")`` is kept;
werkzeug's generic descriptions are replaced. If the page itself cannot be rendered (the
database is down, a template broke), a small static page with the same stylesheet is sent
instead, so even that failure never shows a bare traceback or framework text.

``init_error_pages`` adds ``GET /_errors/<code>``, which renders the page for one of those
codes with that status: the front proxy answers some errors itself (nginx refuses an
oversized upload before the app sees it) and shows this page instead of its own.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from quart import Quart, Response
from werkzeug.exceptions import HTTPException, default_exceptions

from fediverse_cases.settings import UploadSettings
from fediverse_cases.web.rendering import render_template

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorPage:
    code: int
    title: str
    message: str


def _ours(code: int, uploads: UploadSettings) -> tuple[str, str] | None:
    if code == 403:
        return (
            "You cannot open this page",
            "Your account does not have the role this page needs. If you think it should, ask this "
            "hospital's administrators.",
        )
    if code == 404:
        return (
            "Page not found",
            "There is nothing here. The case may have been withdrawn or is not visible to you, or "
            "the link may be mistyped.",
        )
    if code == 413:
        return (
            "Upload too large",
            f"This hospital accepts images of at most {uploads.max_image_bytes // (1024 * 1024)} MB, "
            f"{uploads.max_images_per_case} per case. Make the images smaller and try again.",
        )
    if code >= 500:
        return (
            "Something went wrong on our side",
            "The problem has been logged. Please try again in a moment; if it keeps happening, tell "
            "this hospital's administrators what you were doing.",
        )
    return None


def error_page(error: HTTPException, uploads: UploadSettings) -> ErrorPage:
    code = error.code or 500
    ours = _ours(code, uploads)
    title, message = ours or (error.name, "")
    explicit = error.description and error.description != type(error).description
    if explicit and code < 500:
        message = str(error.description)
    return ErrorPage(code, title, message or "The request could not be completed.")


FALLBACK = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main id="main"><h1>{title}</h1><p class="error-summary" role="alert">{message}</p>
<p><a href="/">Back to the home page</a></p></main></body></html>
"""


async def render_error_page(error: HTTPException, uploads: UploadSettings) -> tuple[str, int] | Response:
    page = error_page(error, uploads)
    try:
        return await render_template("error.html", page=page, error=error), page.code
    except Exception:  # the error page must not fail; log why and send the static one
        logger.exception("rendering the %s error page failed", page.code)
        return Response(
            FALLBACK.format(title=html.escape(page.title), message=html.escape(page.message)),
            status=page.code,
            content_type="text/html; charset=utf-8",
        )


PROXY_ERROR_CODES = (403, 404, 413, 500)


def init_error_pages(app: Quart, uploads: UploadSettings) -> None:
    async def proxy_error_page(code: int) -> tuple[str, int] | Response:
        error = default_exceptions[code if code in PROXY_ERROR_CODES else 404]()
        return await render_error_page(error, uploads)

    app.add_url_rule("/_errors/<int:code>", "proxy_error_page", proxy_error_page, methods=["GET"])
