"""Timelines: home (people you follow, plus your own cases), public (``local`` for this hospital
only) and hashtag, newest publication first (``published_at``, then id) with Mastodon
pagination; ``max_id``/``since_id``/``min_id`` are status ids resolved to that case's place in
this order. Only cases anyone may list appear (``feeds.listable`` is ``core.case_access`` in
SQL); your own pending cases appear on home."""

from __future__ import annotations

from quart import Blueprint, Response

from fediverse_cases.web.api.auth import api_view, require_account
from fediverse_cases.web.api.rendering import render_case_page

blueprint = Blueprint("api_timelines", __name__)


@blueprint.get("/api/v1/timelines/home")
@api_view("read:statuses")
async def home() -> Response:
    require_account()
    return await render_case_page("home")


@blueprint.get("/api/v1/timelines/public")
@api_view("read:statuses", public=True)
async def public() -> Response:
    return await render_case_page("public")


@blueprint.get("/api/v1/timelines/tag/<tag>")
@api_view("read:statuses", public=True)
async def hashtag(tag: str) -> Response:
    return await render_case_page("tag", tag=tag)
