"""Timelines: home (people you follow, plus your own cases), public (``local`` for this hospital
only) and hashtag, newest publication first (``published_at``, then id) with Mastodon
pagination; ``max_id``/``since_id``/``min_id`` are status ids resolved to that case's place in
this order. Only cases anyone may list appear (``feeds.listable`` is ``core.case_access`` in
SQL); your own pending cases appear on home."""

from __future__ import annotations

from quart import Blueprint, Response

from fediverse_cases.storage.repositories import api_queries
from fediverse_cases.web.api import pagination
from fediverse_cases.web.api.auth import api_account, api_view, require_account
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.rendering import api_viewer, render_cases
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_timelines", __name__)


async def render_case_page(kind: str, *, author_actor_id: int | None = None, tag: str = "") -> Response:
    account = api_account()
    page = await pagination.id_page(divisor=2)
    params = await read_params()
    async with app_state().sessionmaker() as db:
        viewer = await api_viewer(db, account)
        origin = "local" if params.get_bool("local") else "remote" if params.get_bool("remote") else ""
        query, key = api_queries.timeline_query(
            kind,
            viewer_actor_id=viewer.actor_id,
            signed_in=viewer.signed_in,
            author_actor_id=author_actor_id,
            tag=tag,
            origin=origin,
        )
        cases = await api_queries.cases_page(db, query, page, key)
        body = await render_cases(db, cases, viewer)
    return pagination.paginated(body, [case.id * 2 for case in cases], page)


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
