"""ActivityPub and discovery endpoints: WebFinger, NodeInfo, host-meta, actor documents (content
negotiation on the same URLs as the HTML profiles), the instance actor, signed inboxes, outbox
and follower/following collections.

The HTML views of ``/users/<name>`` belong to the profile pages; a ``before_app_request`` hook
here answers AS2 requests for those URLs so the HTML views stay untouched (``Vary: Accept``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from quart import Blueprint, Response, abort, request

from fediverse_cases import __version__
from fediverse_cases.activitypub.constants import ACTIVITY_JSON
from fediverse_cases.convert.activities import create_activity
from fediverse_cases.convert.actors import actor_document, collection_document, outbox_document, outbox_page
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.core.hosts import InvalidHost, normalize_host
from fediverse_cases.federation import inbox, threads
from fediverse_cases.federation.signed_fetch import NotAllowed, refuse_unallowed_signer, request_url
from fediverse_cases.storage.models import Actor
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo
from fediverse_cases.storage.repositories.id_pages import IdPage
from fediverse_cases.web.csrf import csrf_exempt
from fediverse_cases.web.doc_cache import DISCOVERY, OBJECT, cached_document, cached_view
from fediverse_cases.web.state import app_state

blueprint = Blueprint("activitypub", __name__)


async def _refuse_unallowed_signer() -> Response | None:
    """A signed GET of any ActivityPub document by a refused host gets 403 (FEDERATION.md);
    unsigned GETs are anonymous readers of what is public."""
    if request.method not in ("GET", "HEAD"):
        return None
    try:
        await refuse_unallowed_signer(app_state())
    except NotAllowed as error:
        return Response(
            orjson.dumps({"error": f"signed by a server this instance does not federate with: {error}"}),
            status=403,
            content_type="application/json",
        )
    return None


blueprint.before_request(_refuse_unallowed_signer)


NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
AS2_MEDIA_TYPES = ("application/activity+json", "application/ld+json")
HTML_TYPES = ("text/html", "application/xhtml+xml")
_ACTOR_PATH = re.compile(r"^/users/([^/]+)/?$")


def wants_as2() -> bool:
    """True when the client prefers ActivityStreams JSON over HTML (ties go to AS2: a client that
    names AS2 at all is a fediverse client). Parameters such as ``profile=`` are ignored."""
    best = {"as2": 0.0, "html": 0.0}
    for part in request.headers.get("Accept", "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        kind = "as2" if media.lower() in AS2_MEDIA_TYPES else "html" if media.lower() in HTML_TYPES else None
        if kind:
            best[kind] = max(best[kind], quality)
    return best["as2"] > 0 and best["as2"] >= best["html"]


def as2_response(document: dict[str, Any], status: int = 200) -> Response:
    response = Response(
        orjson.dumps(document),
        status=status,
        content_type=f"{ACTIVITY_JSON}; charset=utf-8",
    )
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def json_response(document: dict[str, Any], content_type: str, status: int = 200) -> Response:
    response = Response(orjson.dumps(document), status=status, content_type=content_type)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def _local_actor(username: str) -> Actor | None:
    async with app_state().sessionmaker() as db:
        actor = await account_repo.get_local_actor_by_username(db, username)
        if actor is None or actor.actor_type != "Person" or actor.account_id is None:
            return None
        account = await account_repo.get_account(db, actor.account_id)
        return None if account is None or account.disabled else actor


async def _instance_actor() -> Actor:
    async with app_state().sessionmaker() as db:
        actor = await account_repo.get_instance_actor(db)
    if actor is None:
        abort(404)
    return actor


@blueprint.before_app_request
async def answer_actor_as2() -> Response | None:
    """AS2 for ``GET /users/<name>`` when the client asks for it; HTML views are untouched."""
    if request.method not in ("GET", "HEAD"):
        return None
    match = _ACTOR_PATH.match(request.path)
    if match is None or not wants_as2():
        return None
    refused = await _refuse_unallowed_signer()
    if refused is not None:
        return refused
    return await cached_document("as2", lambda: _actor_as2(match.group(1)), cache_control=DISCOVERY)


async def _actor_as2(username: str) -> Response:
    actor = await _local_actor(username)
    if actor is None:
        return as2_response({"error": "no such actor"}, 404)
    return as2_response(actor_document(actor, app_state().urls))


@blueprint.after_app_request
async def vary_on_accept(response: Response) -> Response:
    if _ACTOR_PATH.match(request.path) and "Vary" not in response.headers:
        response.headers["Vary"] = "Accept"
    return response


# --- discovery -----------------------------------------------------------------------------------


_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _webfinger_resource() -> str:
    """The one ``resource`` a WebFinger query names; 400 when it is absent, repeated or not a
    URI with a scheme (RFC 7033 §4.2: ``clinician@host`` or ``=acct:…`` are malformed)."""
    values = request.args.getlist("resource")
    if len(values) != 1 or not values[0].strip():
        abort(400, description="give exactly one resource parameter")
    resource = values[0].strip()
    if not _URI_SCHEME.match(resource) or (resource.lower().startswith("acct:") and "@" not in resource):
        abort(400, description="resource must be a URI such as acct:name@host")
    return resource


@blueprint.get("/.well-known/webfinger")
@cached_view("webfinger", cache_control=DISCOVERY)
async def webfinger() -> Response:
    state = app_state()
    resource = _webfinger_resource()
    async with state.sessionmaker() as db:
        actor: Actor | None = None
        if resource.lower().startswith(("http://", "https://")):
            actor = await account_repo.get_actor_by_uri(db, resource)
        elif resource.lower().startswith("acct:"):
            name, _, host = resource[5:].lstrip("@").partition("@")
            try:
                same_host = normalize_host(host) == state.settings.instance.host
            except InvalidHost:
                same_host = False
            if not same_host:
                abort(404, description="not an account of this instance")
            actor = await account_repo.get_local_actor_by_username(db, name)
    if actor is None or not actor.is_local:
        abort(404, description="no such account")
    links = [
        {"rel": "self", "type": ACTIVITY_JSON, "href": actor.uri},
        {
            "rel": "http://webfinger.net/rel/profile-page",
            "type": "text/html",
            "href": actor.profile_url or actor.uri,
        },
    ]
    wanted = request.args.getlist("rel")
    if wanted:  # §4.3: only the relations asked for
        links = [link for link in links if link["rel"] in wanted]
    response = json_response(
        {
            "subject": f"acct:{actor.username}@{state.settings.instance.host}",
            "aliases": sorted({actor.uri, actor.profile_url or actor.uri}),
            "links": links,
        },
        "application/jrd+json",
    )
    response.headers["Access-Control-Allow-Origin"] = "*"  # §5: browsers may query it
    return response


@blueprint.get("/.well-known/host-meta")
@cached_view("host-meta", cache_control=DISCOVERY)
async def host_meta() -> Response:
    base = app_state().settings.instance.base_url
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{base}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )
    return Response(body, content_type="application/xrd+xml")


@blueprint.get("/.well-known/nodeinfo")
@cached_view("nodeinfo", cache_control=DISCOVERY)
async def nodeinfo_links() -> Response:
    base = app_state().settings.instance.base_url
    return json_response(
        {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{base}/nodeinfo/2.1"}]}, "application/json"
    )


@blueprint.get("/nodeinfo/2.1")
@cached_view("nodeinfo", cache_control=DISCOVERY, depends_on=("rows:accounts", "dml:accounts"))
async def nodeinfo() -> Response:
    state = app_state()
    async with state.sessionmaker() as db:
        users = await account_repo.count_accounts(db)
    document = {
        "version": "2.1",
        "software": {
            "name": "fediverse-cases",
            "version": __version__,
            "homepage": "https://fediverse-cases.example/",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": state.settings.registration == "open",
        "usage": {"users": {"total": users}},
        "metadata": {
            "nodeName": state.settings.instance.name,
            "nodeDescription": state.settings.instance.description,
            "fediverseCases": {"instance": True, "federationMode": state.settings.federation.mode},
        },
    }
    return json_response(document, f'application/json; profile="{NODEINFO_SCHEMA}#"')


# --- actors and collections ------------------------------------------------------------------


@blueprint.get("/actor")
@cached_view("as2", cache_control=DISCOVERY)
async def instance_actor() -> Response:
    return as2_response(actor_document(await _instance_actor(), app_state().urls))


OUTBOX_PAGE_SIZE = 20


def _page_param(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) <= 18 else None


async def _outbox_page(actor: Actor) -> Response:
    """``?page=true`` with ``max_id`` (older than) or ``min_id`` (newer than) a case id."""
    state = app_state()
    page = IdPage(limit=OUTBOX_PAGE_SIZE, max_id=_page_param("max_id"), min_id=_page_param("min_id"))
    base = actor.outbox_url
    async with state.sessionmaker() as db:
        cases = await remote_actors_repo.public_cases_page(db, actor.id, page)
        items = [create_activity(note) for note in await threads.case_notes(db, state, cases)]
    query = "&".join(
        f"{k}={v}" for k, v in (("max_id", page.max_id), ("min_id", page.min_id)) if v is not None
    )
    page_id = f"{base}?page=true" + (f"&{query}" if query else "")
    next_id = f"{base}?page=true&max_id={cases[-1].id}" if len(cases) == OUTBOX_PAGE_SIZE else None
    prev_id = f"{base}?page=true&min_id={cases[0].id}" if cases else None
    return as2_response(outbox_page(base, page_id, items, next_id, prev_id))


async def _collection(actor: Actor | None, which: str) -> Response:
    if actor is None:
        return as2_response({"error": "no such actor"}, 404)
    if which == "outbox" and request.args.get("page"):
        return await _outbox_page(actor)
    async with app_state().sessionmaker() as db:
        if which == "outbox":
            total = await remote_actors_repo.count_published_cases(
                db, actor.id, [CaseState.PUBLISHED.value], [Visibility.PUBLIC.value]
            )
            return as2_response(outbox_document(actor.outbox_url, total))
        followers, following = await follows_repo.follow_counts(db, actor.id)
    if which == "followers":
        return as2_response(collection_document(actor.followers_url, followers))
    return as2_response(collection_document(actor.following_url, following))


@blueprint.get("/users/<username>/outbox")
@cached_view("as2", cache_control=OBJECT)
async def outbox(username: str) -> Response:
    return await _collection(await _local_actor(username), "outbox")


@blueprint.get("/users/<username>/followers")
@cached_view("as2", cache_control=OBJECT)
async def followers(username: str) -> Response:
    return await _collection(await _local_actor(username), "followers")


@blueprint.get("/users/<username>/following")
@cached_view("as2", cache_control=OBJECT)
async def following(username: str) -> Response:
    return await _collection(await _local_actor(username), "following")


@blueprint.get("/actor/outbox")
@cached_view("as2", cache_control=OBJECT)
async def instance_outbox() -> Response:
    return await _collection(await _instance_actor(), "outbox")


@blueprint.get("/actor/followers")
@cached_view("as2", cache_control=OBJECT)
async def instance_followers() -> Response:
    return await _collection(await _instance_actor(), "followers")


@blueprint.get("/actor/following")
@cached_view("as2", cache_control=OBJECT)
async def instance_following() -> Response:
    return await _collection(await _instance_actor(), "following")


# --- inboxes ---------------------------------------------------------------------------------


async def _read_body(limit: int) -> bytes | None:
    """The request body, or None as soon as it exceeds ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.body:
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def _receive() -> Response:
    state = app_state()
    body = await _read_body(inbox.MAX_INBOX_BYTES)
    if body is None:
        result = inbox.InboxResult(413, f"body larger than {inbox.MAX_INBOX_BYTES} bytes")
    else:
        result = await inbox.receive(
            state, method="POST", url=request_url(state), headers=dict(request.headers), body=body
        )
    return json_response(result.as_json(), "application/json", result.status)


@blueprint.post("/inbox")
@csrf_exempt
async def shared_inbox() -> Response:
    return await _receive()


@blueprint.post("/users/<username>/inbox")
@csrf_exempt
async def personal_inbox(username: str) -> Response:
    if await _local_actor(username) is None:
        return json_response({"status": "error", "message": "no such actor"}, "application/json", 404)
    return await _receive()


@blueprint.post("/actor/inbox")
@csrf_exempt
async def instance_inbox() -> Response:
    return await _receive()
