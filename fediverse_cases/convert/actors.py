"""AS2 documents for local actors (Person for people, Service for the hospital) and their
collections. Built from the ``Actor`` row: RSA ``publicKey`` (``#main-key``), the Ed25519 key
as a Multikey in ``assertionMethod`` (FEP-521a, ``#ed25519-key``), inboxes, collections,
``url`` and our verified-professional claim. Pure: reads the row through ``LocalActorLike``.
"""

from __future__ import annotations

from typing import Any

from fediverse_cases.activitypub.actors import Multikey, Person, PublicKey, Service
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT, PUBLIC, ext
from fediverse_cases.convert.shapes import LocalActorLike
from fediverse_cases.core.urls import LocalUrls


def actor_document(actor: LocalActorLike, urls: LocalUrls) -> dict[str, Any]:
    kind = Service if actor.actor_type in ("Service", "Application") else Person
    document = kind(
        id=actor.uri,
        inbox=actor.inbox_url,
        preferred_username=actor.username,
        name=actor.display_name or actor.username,
        summary=actor.summary or None,
        outbox=actor.outbox_url or None,
        followers=actor.followers_url or None,
        following=actor.following_url or None,
        shared_inbox=urls.shared_inbox,
        url=actor.profile_url or actor.uri,
        public_key=PublicKey(id=actor.public_key_id, owner=actor.uri, public_key_pem=actor.public_key_pem),
        assertion_methods=(
            (
                Multikey(
                    id=actor.ed25519_key_id,
                    controller=actor.uri,
                    public_key_multibase=actor.ed25519_public_multibase,
                ),
            )
            if actor.ed25519_key_id and actor.ed25519_public_multibase
            else ()
        ),
        manually_approves_followers=actor.manually_approves_followers,
        discoverable=True,
        published=actor.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") if actor.created_at else None,
        verified_professional=actor.verified_professional,
        profession=actor.profession or None,
    ).to_json()
    document["@context"] = DEFAULT_CONTEXT
    if kind is Person:
        # The person's published teaching sets (convert.collections), like Mastodon's ``featured``.
        document[ext("collections")] = f"{actor.uri}/collections"
    return document


def collection_document(collection_id: str, total: int) -> dict[str, Any]:
    """A count-only OrderedCollection: who follows whom at a hospital is not published."""
    return {
        "@context": DEFAULT_CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }


def outbox_document(outbox_id: str, total: int) -> dict[str, Any]:
    """The outbox as Mastodon and GoToSocial serve it: a count and links to its pages."""
    return {
        "@context": DEFAULT_CONTEXT,
        "id": outbox_id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": f"{outbox_id}?page=true",
        "last": f"{outbox_id}?page=true&min_id=0",
    }


def outbox_page(
    outbox_id: str, page_id: str, items: list[dict[str, Any]], next_id: str | None, prev_id: str | None
) -> dict[str, Any]:
    """One page of public Create activities, newest first, with ``next`` (older) and ``prev``."""
    page: dict[str, Any] = {
        "@context": DEFAULT_CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": outbox_id,
        "orderedItems": [{k: v for k, v in item.items() if k != "@context"} for item in items],
    }
    if next_id:
        page["next"] = next_id
    if prev_id:
        page["prev"] = prev_id
    return page


def follow_activity(follower_uri: str, followed_uri: str, activity_id: str) -> dict[str, Any]:
    return {
        "@context": DEFAULT_CONTEXT,
        "id": activity_id,
        "type": "Follow",
        "actor": follower_uri,
        "object": followed_uri,
        "to": [followed_uri],
    }


def accept_activity(
    activity_id: str, actor_uri: str, follow: dict[str, Any] | str, to: str
) -> dict[str, Any]:
    """Accept of a Follow we received; the Follow is embedded as Mastodon and GoToSocial do."""
    return {
        "@context": DEFAULT_CONTEXT,
        "id": activity_id,
        "type": "Accept",
        "actor": actor_uri,
        "object": follow,
        "to": [to],
    }


def reject_activity(
    activity_id: str, actor_uri: str, request: dict[str, Any] | str, to: str
) -> dict[str, Any]:
    """Reject of a request we received (a Follow, a QuoteRequest), embedding it."""
    return {**accept_activity(activity_id, actor_uri, request, to), "type": "Reject"}


def update_actor_activity(activity_id: str, document: dict[str, Any]) -> dict[str, Any]:
    """Update(Person/Service): a changed profile or professional claim, to followers and peers."""
    return {
        "@context": DEFAULT_CONTEXT,
        "id": activity_id,
        "type": "Update",
        "actor": document["id"],
        "to": [PUBLIC],
        "cc": [document["followers"]] if document.get("followers") else [],
        "object": {k: v for k, v in document.items() if k != "@context"},
    }
