"""``GET /api/v2/search``: accounts (``@user@host`` resolved through federation with
``resolve=true`` by a signed-in caller), hashtags and statuses (full-text over captions and tags,
visible cases only; a status id or URL finds that status — ours, or with ``resolve=true`` by a
signed-in caller a remote one fetched from an allowed peer, see ``federation.resolve``)."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.core.case_access import can_view_case, case_facts
from fediverse_cases.federation import resolve
from fediverse_cases.services import follow_remote
from fediverse_cases.storage.models import Actor, Case, Comment
from fediverse_cases.storage.repositories import accounts as accounts_repo
from fediverse_cases.storage.repositories.search import search_cases
from fediverse_cases.web.api.auth import api_account, api_view
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.rendering import accounts_json, api_viewer, render_cases, render_comments
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_search", __name__)


async def _resolve_remote(handle: str) -> Actor | None:
    """WebFinger + actor fetch through the federation service (allow-list and SSRF guarded);
    a peer that is not allowed, unreachable or has no such person is simply no result."""
    try:
        return await follow_remote.lookup_remote(app_state(), handle)
    except follow_remote.FollowError:
        return None


async def _status_by_iri(query: str, account: object, fetch: bool) -> list[object]:
    """The one status ``query`` (an id or URL) names, if the caller may see it."""
    state = app_state()
    async with state.transaction() as db:
        if fetch:
            found = await resolve.resolve_status(db, state, query)
        else:
            found = await resolve.find_held(db, state, query)
        if found is None:
            return []
        comment = found if isinstance(found, Comment) else None
        case = await db.get(Case, comment.case_id) if comment is not None else found
        viewer = await api_viewer(db, account)  # type: ignore[arg-type]
        if not isinstance(case, Case) or not can_view_case(viewer, case_facts(case)):
            return []
        if comment is None:
            return list(await render_cases(db, [case], viewer))
        if comment.state != "visible":
            return []
        parent = await db.get(Comment, comment.parent_id) if comment.parent_id else None
        return list(await render_comments(db, [comment], case, {parent.id: parent} if parent else {}))


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
        actors: list[Actor] = []
        username, _, host = handle.partition("@")
        if host:
            # A full handle names one person: the one we know, or (resolve=true, signed in) the
            # one WebFinger finds on an allowed peer; never a fuzzy match on the name alone.
            local = host == state.settings.instance.host
            async with state.sessionmaker() as db:
                found = await accounts_repo.find_actor_by_handle(
                    db, username.lower() if local else username, None if local else host
                )
            if found is None and not local and params.get_bool("resolve") and account is not None:
                found = await _resolve_remote(f"@{handle}")
            actors = [found] if found is not None else []
        async with state.sessionmaker() as db:
            if not host:
                actors = list(await accounts_repo.search_actors(db, username, limit=limit))
            rendered = await accounts_json(db, [actor.id for actor in actors])
        result["accounts"] = [rendered[actor.id] for actor in actors if actor.id in rendered]
    if kind in ("", "hashtags"):
        tag = query.lstrip("#").lower()
        if tag.replace("_", "").replace("-", "").isalnum():
            result["hashtags"] = [{"name": tag, "url": state.urls.tag(tag), "history": []}]
    if kind in ("", "statuses") and resolve.looks_like_status_iri(query):
        fetch = params.get_bool("resolve") and account is not None
        result["statuses"] = await _status_by_iri(query, account, fetch)
    elif kind in ("", "statuses"):
        async with state.sessionmaker() as db:
            viewer = await api_viewer(db, account)
            page = await search_cases(db, query, signed_in=viewer.signed_in, limit=limit)
            result["statuses"] = await render_cases(db, [item.case for item in page.items], viewer)
    return jsonify(result)
