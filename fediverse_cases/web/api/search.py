"""``GET /api/v2/search``: accounts (``@user@host`` resolved through federation when asked and
available), hashtags and statuses (full-text over captions and tags, visible cases only)."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.storage.repositories import api_queries
from fediverse_cases.storage.repositories.search import search_cases
from fediverse_cases.web.api.accounts import accounts_json
from fediverse_cases.web.api.auth import api_account, api_view
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.rendering import api_viewer, render_cases
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_search", __name__)


async def _resolve_remote(handle: str):  # type: ignore[no-untyped-def]
    """The federation layer's ``resolve_handle`` when installed; None otherwise or on failure."""
    try:
        from fediverse_cases.federation.dereference import resolve_handle
    except ImportError:
        return None
    state = app_state()
    try:
        async with state.transaction() as db:
            return await resolve_handle(db, state, handle)
    except Exception:  # an unreachable or refused peer is "no result", never a 500
        return None


@blueprint.get("/api/v2/search")
@api_view("read:search", public=True)
async def search() -> Response:
    params = await read_params()
    query = params.get("q").strip()[:200]
    kind = params.get("type")
    limit = params.get_int("limit", 20, low=1, high=40)
    account = api_account()
    result: dict[str, list[object]] = {"accounts": [], "statuses": [], "hashtags": []}
    if not query:
        return jsonify(result)
    state = app_state()
    handle = query.lstrip("@")
    if kind in ("", "accounts"):
        actors = []
        if "@" in handle and params.get_bool("resolve") and account is not None:
            username, _, host = handle.partition("@")
            async with state.sessionmaker() as db:
                found = await api_queries.find_actor_by_handle(
                    db, username, host if host != state.settings.instance.host else None
                )
            if found is None and host != state.settings.instance.host:
                found = await _resolve_remote(f"@{handle}")
            if found is not None:
                actors.append(found)
        async with state.sessionmaker() as db:
            if not actors:
                actors = list(await api_queries.search_actors(db, handle.split("@")[0], limit=limit))
            rendered = await accounts_json(db, [actor.id for actor in actors])
        result["accounts"] = [rendered[actor.id] for actor in actors if actor.id in rendered]
    if kind in ("", "hashtags"):
        tag = query.lstrip("#").lower()
        if tag.replace("_", "").replace("-", "").isalnum():
            result["hashtags"] = [{"name": tag, "url": state.urls.tag(tag), "history": []}]
    if kind in ("", "statuses"):
        async with state.sessionmaker() as db:
            viewer = await api_viewer(db, account)
            page = await search_cases(db, query, signed_in=viewer.signed_in, limit=limit)
            result["statuses"] = await render_cases(db, [item.case for item in page.items], viewer)
    return jsonify(result)
