"""Origin checks for received activities and fetched objects. Pure: no I/O, no database.

An HTTP signature proves who *delivered* a request, not who wrote what it carries. So:
the signer must be the activity's ``actor``; the activity id must live on the actor's host;
an object the actor claims to own (Create/Update/Delete) must live there too; an embedded object
from another host is only a claim and must be refetched from its origin (Mastodon
CVE-2024-23832 was exactly a missing check of this kind). Each check returns a typed
:class:`OriginDecision`, never a bare boolean, so callers must say what they do with "refetch".

May import the stdlib, ``fediverse_cases.core`` and ``fediverse_cases.activitypub``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from fediverse_cases.activitypub.activities import (
    Accept,
    Activity,
    Announce,
    Create,
    Delete,
    Flag,
    Follow,
    Like,
    QuoteRequest,
    Reject,
    Undo,
    Update,
    View,
)
from fediverse_cases.activitypub.actors import Actor
from fediverse_cases.activitypub.objects import Note, Tombstone
from fediverse_cases.core.hosts import InvalidHost, host_of

__all__ = [
    "OriginDecision",
    "actor_iri_from_key_id",
    "check_activity_origin",
    "check_actor_keys",
    "check_fetched_origin",
    "check_key_ownership",
]

Verdict = Literal["accept", "refetch", "reject"]


@dataclass(frozen=True)
class OriginDecision:
    """``accept``: trust as delivered. ``refetch``: the listed IRIs must be fetched from their own
    origin and the fetched copies used instead. ``reject``: drop the activity (``reason`` says why)."""

    verdict: Verdict
    reason: str = ""
    refetch: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.verdict == "accept"

    @classmethod
    def accept(cls) -> OriginDecision:
        return cls("accept")

    @classmethod
    def reject(cls, reason: str) -> OriginDecision:
        return cls("reject", reason)


def _host(iri: str) -> str | None:
    try:
        return host_of(iri)
    except InvalidHost:
        return None


def _same_host(a: str, b: str) -> bool:
    ha = _host(a)
    return ha is not None and ha == _host(b)


def actor_iri_from_key_id(key_id: str) -> str:
    """The actor IRI a keyId most likely belongs to: ``actor#main-key`` (Mastodon) or
    ``actor/main-key`` (GoToSocial). Only a hint for fetching: ownership is then checked with
    :func:`check_key_ownership` against the fetched documents."""
    parts = urlsplit(key_id)
    path = parts.path
    if not parts.fragment and path.endswith("/main-key"):
        path = path[: -len("/main-key")]
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def check_key_ownership(
    key_id: str, key_owner: str, actor_id: str, actor_key_ids: Iterable[str]
) -> OriginDecision:
    """The key and the actor must point at each other, on the same host.

    ``key_owner`` is the key document's ``owner`` (or Multikey ``controller``); ``actor_key_ids``
    are the key ids the actor document lists (``publicKey.id`` and ``assertionMethod`` ids).
    """
    if key_owner != actor_id:
        return OriginDecision.reject("key owner is not the actor")
    if key_id not in set(actor_key_ids):
        return OriginDecision.reject("actor does not list the key")
    if not _same_host(key_id, actor_id):
        return OriginDecision.reject("key and actor on different hosts")
    return OriginDecision.accept()


def check_actor_keys(actor: Actor, key_id: str) -> OriginDecision:
    """:func:`check_key_ownership` for a parsed actor document."""
    if actor.public_key is not None and actor.public_key.id == key_id:
        return check_key_ownership(key_id, actor.public_key.owner, actor.id, [key_id])
    multikey = actor.multikey(key_id)
    if multikey is not None:
        return check_key_ownership(key_id, multikey.controller, actor.id, [key_id])
    return OriginDecision.reject("actor does not list the key")


def check_fetched_origin(requested_url: str, final_url: str, object_id: str | None) -> OriginDecision:
    """A dereferenced document's ``id`` must be on the host we asked (after redirects) — the
    exact check whose absence was CVE-2024-23832."""
    if object_id is None:
        return OriginDecision.reject("fetched document has no id")
    if not _same_host(final_url, object_id):
        return OriginDecision.reject("fetched document id is on another host")
    if not _same_host(requested_url, final_url) and object_id != final_url:
        return OriginDecision.reject("redirected to another host")
    return OriginDecision.accept()


def _embedded_owner(value: object) -> str | None:
    if isinstance(value, Note):
        return value.attributed_to
    if isinstance(value, Actor):
        return value.id
    if isinstance(value, Activity):
        return value.actor
    return None


def check_activity_origin(activity: Activity, signer_actor: str) -> OriginDecision:
    """Origin rules for an inbox activity whose HTTP signature was made by ``signer_actor``."""
    actor = activity.actor
    if signer_actor != actor:
        return OriginDecision.reject("signer is not the activity's actor")
    if _host(actor) is None:
        return OriginDecision.reject("actor is not an http(s) IRI")
    if not _same_host(activity.id, actor):
        return OriginDecision.reject("activity id host differs from actor host")

    obj = activity.object
    object_id = activity.object_id

    if isinstance(activity, Create | Update):
        owner = _embedded_owner(obj)
        if isinstance(activity, Update) and isinstance(obj, Actor) and obj.id != actor:
            return OriginDecision.reject("actor update for another actor")
        if owner is not None and owner != actor:
            return OriginDecision.reject("object attributed to someone other than the actor")
        if not _same_host(object_id, actor):
            # A forged object id on another host: never store what was delivered.
            return OriginDecision("refetch", "object id host differs from actor host", (object_id,))
        return OriginDecision.accept()

    if isinstance(activity, Delete):
        if not _same_host(object_id, actor):
            return OriginDecision.reject("deleting an object on another host")
        if isinstance(obj, Tombstone | str):
            return OriginDecision.accept()
        return OriginDecision.reject("unexpected object in Delete")

    if isinstance(activity, Undo):
        if isinstance(obj, Activity):
            if obj.actor != actor:
                return OriginDecision.reject("undoing another actor's activity")
            if not _same_host(obj.id, actor):
                return OriginDecision.reject("undone activity id host differs from actor host")
        elif not _same_host(object_id, actor):
            return OriginDecision.reject("undone activity id host differs from actor host")
        return OriginDecision.accept()

    if isinstance(activity, Accept | Reject):
        # The Follow being answered was ours (its id is on our host); what matters is that it
        # asked to follow the actor who now answers it.
        if isinstance(obj, Follow) and obj.object != actor:
            return OriginDecision.reject("answering a Follow addressed to someone else")
        return OriginDecision.accept()

    if isinstance(activity, Follow | Like | Announce | Flag | QuoteRequest | View):
        # Their objects are other people's (a followee, a liked, boosted or quoted note,
        # reported content, a page seen); they are referenced, never trusted as embedded content.
        return OriginDecision.accept()

    return OriginDecision.reject(f"no origin rule for {activity.TYPE}")
