"""Fetching remote documents: objects, actors (with their keys) and WebFinger handles.

Everything goes through the transport (allow-list + SSRF guard), signed as our instance actor
(authorized-fetch peers require it). A fetched document must be served as AS2 JSON, fit the
size/depth caps, and have its ``id`` on the host we fetched (``origin.check_fetched_origin``).
Remote actors are stored as ``Actor`` rows (keys, inboxes, verified-professional claim); a key
owner must point back to its actor (``origin.check_actor_keys``). Local IRIs are never fetched
over HTTP: they are read from the database.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import nh3
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import VocabularyError
from fediverse_cases.activitypub.constants import ACTIVITY_JSON
from fediverse_cases.activitypub.json_guard import JsonDocumentError, load_json_document
from fediverse_cases.activitypub.registry import parse_actor
from fediverse_cases.core.hosts import InvalidHost, host_of, normalize_host
from fediverse_cases.crypto.keys import KeyFormatError, ed25519_public_from_multibase
from fediverse_cases.federation.origin import check_actor_keys, check_fetched_origin
from fediverse_cases.federation.peers import peer_scheme
from fediverse_cases.federation.state import FederationState
from fediverse_cases.federation.transport import TransportError
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import peers as peers_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo

AS2_TYPES = ("application/activity+json", "application/ld+json")
JRD_TYPES = ("application/jrd+json", "application/json")
FETCH_ACCEPT = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# A remote actor (its keys and its verified-professional claim) is trusted this long without a
# refetch: a revoked claim stops counting within this bound even if its Update(Person) is lost.
ACTOR_REFRESH_AFTER = timedelta(hours=6)


class FetchError(Exception):
    """A remote document could not be fetched or was not acceptable; the message says why."""


async def _instance_actor(state: FederationState, db: AsyncSession | None = None) -> Actor | None:
    if state.instance_actor is not None:
        return state.instance_actor
    if db is not None:
        actor = await account_repo.get_instance_actor(db)
    else:
        async with state.sessionmaker() as session:
            actor = await account_repo.get_instance_actor(session)
    state.instance_actor = actor
    return actor


def is_local(state: FederationState, uri: str) -> bool:
    try:
        return host_of(uri) == state.settings.instance.host
    except InvalidHost:
        return False


async def fetch_document(state: FederationState, uri: str, *, accept: str = FETCH_ACCEPT) -> dict[str, Any]:
    """GET ``uri`` signed as the instance actor; return the AS2 JSON object; raise FetchError."""
    if is_local(state, uri):
        raise FetchError(f"{uri} is local; read it from the database")
    signer = await _instance_actor(state)
    try:
        response = await state.transport.get(uri, signer=signer, accept=accept)
    except TransportError as error:
        raise FetchError(str(error)) from error
    if response.status != 200:
        raise FetchError(f"GET {uri} answered HTTP {response.status}")
    if response.content_type not in AS2_TYPES:
        raise FetchError(
            f"GET {uri} is not ActivityStreams JSON (Content-Type {response.content_type or 'missing'})"
        )
    try:
        document = load_json_document(response.body)
    except JsonDocumentError as error:
        raise FetchError(f"GET {uri}: {error}") from error
    object_id = document.get("id") if isinstance(document.get("id"), str) else None
    decision = check_fetched_origin(uri, response.url, object_id)
    if not decision.accepted:
        raise FetchError(f"GET {uri}: {decision.reason}")
    return document


def _clean_text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


async def store_actor_document(db: AsyncSession, state: FederationState, document: dict[str, Any]) -> Actor:
    """Create or update the remote ``Actor`` row from a fetched (already origin-checked) document."""
    try:
        parsed = parse_actor(document)
    except VocabularyError as error:
        raise FetchError(f"not a usable actor document: {error}") from error
    if parsed.public_key is None:
        raise FetchError(f"actor {parsed.id} publishes no publicKey")
    ownership = check_actor_keys(parsed, parsed.public_key.id)
    if not ownership.accepted:
        raise FetchError(f"actor {parsed.id}: {ownership.reason}")
    host = host_of(parsed.id)
    multikey = next((m for m in parsed.assertion_methods if m.controller == parsed.id), None)
    if multikey is not None:
        try:
            ed25519_public_from_multibase(multikey.public_key_multibase)
        except KeyFormatError:
            multikey = None
    existing = await account_repo.get_actor_by_uri(db, parsed.id)
    if existing is not None and existing.is_local:
        raise FetchError(f"{parsed.id} is a local actor")
    peers = await peers_repo.peers_by_hosts(db, [host])
    verified = parsed.verified_professional
    return await remote_actors_repo.upsert_remote_actor(
        db,
        {
            "uri": parsed.id,
            "is_local": False,
            "actor_type": parsed.TYPE,
            "username": _clean_text(
                parsed.preferred_username or urlsplit(parsed.id).path.rsplit("/", 1)[-1], 100
            ),
            "host": host,
            "display_name": _clean_text(parsed.name, 200),
            "summary": nh3.clean(parsed.summary or "")[:5000],
            "profile_url": parsed.url or parsed.id,
            "inbox_url": parsed.inbox,
            "shared_inbox_url": parsed.shared_inbox or "",
            "outbox_url": parsed.outbox or "",
            "followers_url": parsed.followers or "",
            "following_url": parsed.following or "",
            "public_key_id": parsed.public_key.id,
            "public_key_pem": parsed.public_key.public_key_pem,
            "private_key_pem": "",
            "ed25519_key_id": multikey.id if multikey else "",
            "ed25519_public_multibase": multikey.public_key_multibase if multikey else "",
            "ed25519_private_pem": "",
            "verified_professional": verified,
            "profession": _clean_text(parsed.profession, 100) if verified else "",
            "vouched": bool(host in peers and peers[host].vouch_professionals),
            "fetched_at": utcnow(),
            "created_at": utcnow(),
        },
    )


async def get_or_fetch_actor(
    db: AsyncSession, state: FederationState, uri: str, *, refresh: bool = False
) -> Actor:
    """The stored actor for ``uri``; fetched (and stored) when unknown, stale, or ``refresh``."""
    actor = await account_repo.get_actor_by_uri(db, uri)
    if actor is not None and actor.is_local:
        return actor
    if is_local(state, uri):
        raise FetchError(f"no local actor {uri}")
    if actor is not None and not refresh and actor.public_key_pem:
        fresh = actor.fetched_at is not None and utcnow() - actor.fetched_at < ACTOR_REFRESH_AFTER
        if fresh:
            return actor
    allow_list = await state.allow_list.current(db)
    if not allow_list.is_iri_allowed(uri):
        raise FetchError(f"{uri} is not on an allowed peer")
    # Load the signing instance actor with this session: a second session per request could
    # exhaust the pool under concurrent inbox requests.
    await _instance_actor(state, db)
    try:
        document = await fetch_document(state, uri)
    except FetchError:
        if actor is not None and not refresh:
            return actor  # stale but usable; the next request retries the refresh
        raise
    if document.get("id") != uri and actor is None:
        # Fetched by profile URL: the document names its canonical id (same host, checked).
        existing = await account_repo.get_actor_by_uri(db, str(document.get("id")))
        if existing is not None and not refresh:
            return existing
    return await store_actor_document(db, state, document)


def parse_handle(handle: str) -> tuple[str, str]:
    """``@name@host[:port]`` (leading @ optional, ``acct:`` accepted) -> (name, normalised host)."""
    text = handle.strip()
    if text.startswith("acct:"):
        text = text[5:]
    text = text.lstrip("@")
    if text.count("@") != 1:
        raise FetchError(f"not a handle like @name@hospital.example: {handle!r}")
    name, host = text.split("@")
    if not name or any(c in name for c in "/?#: "):
        raise FetchError(f"not a handle like @name@hospital.example: {handle!r}")
    try:
        return name, normalize_host(host)
    except InvalidHost as error:
        raise FetchError(f"invalid host in {handle!r}: {error}") from error


async def webfinger(db: AsyncSession, state: FederationState, name: str, host: str) -> str:
    """The actor IRI WebFinger gives for ``acct:name@host``."""
    scheme = await peer_scheme(db, host)
    url = f"{scheme}://{host}/.well-known/webfinger?resource={quote(f'acct:{name}@{host}', safe=':@')}"
    try:
        response = await state.transport.get(url, accept="application/jrd+json, application/json")
    except TransportError as error:
        raise FetchError(str(error)) from error
    if response.status != 200:
        raise FetchError(f"WebFinger for {name}@{host} answered HTTP {response.status}")
    if response.content_type not in JRD_TYPES:
        raise FetchError(f"WebFinger for {name}@{host} is not JSON ({response.content_type})")
    try:
        document = load_json_document(response.body, max_bytes=100_000, max_depth=8)
    except JsonDocumentError as error:
        raise FetchError(f"WebFinger for {name}@{host}: {error}") from error
    for link in document.get("links") or []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and isinstance(link.get("href"), str)
            and str(link.get("type", "")).split(";")[0].strip() in AS2_TYPES
        ):
            return str(link["href"])
    raise FetchError(f"WebFinger for {name}@{host} names no ActivityPub actor")


async def resolve_handle(db: AsyncSession, state: FederationState, handle: str) -> Actor:
    """An actor from ``@name@host[:port]`` (via WebFinger) or from an actor URL."""
    text = handle.strip()
    if text.startswith(("https://", "http://")):
        return await get_or_fetch_actor(db, state, text)
    name, host = parse_handle(text)
    if host == state.settings.instance.host:
        actor = await account_repo.get_local_actor_by_username(db, name)
        if actor is None:
            raise FetchError(f"no account {name} on this instance")
        return actor
    allow_list = await state.allow_list.current(db)
    if not allow_list.is_allowed(host):
        raise FetchError(f"{host} is not an allowed peer of this hospital")
    actor_uri = await webfinger(db, state, name, host)
    try:
        if host_of(actor_uri) != host:
            raise FetchError(f"WebFinger for {name}@{host} points to another host")
    except InvalidHost as error:
        raise FetchError(f"WebFinger for {name}@{host} gave an invalid actor IRI") from error
    return await get_or_fetch_actor(db, state, actor_uri)
