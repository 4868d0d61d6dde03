"""The home page and plain informational pages."""

from __future__ import annotations

from quart import Blueprint

from fediverse_cases.web.blueprints.feeds import LISTED
from fediverse_cases.web.doc_cache import cached_page
from fediverse_cases.web.rendering import render_template

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
@cached_page(depends_on=LISTED)
async def home() -> str:
    return await render_template("home.html")


@blueprint.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
