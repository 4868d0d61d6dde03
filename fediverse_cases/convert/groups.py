"""AS2 documents of specialty groups (FEP-1b12): the ``Group`` actor and what it sends.

- ``group_document``: a ``Group`` actor keyed like a person (RSA ``#main-key``, Ed25519
  ``#ed25519-key``); ``attributedTo`` names its moderators as Lemmy does, by the id of an
  ``OrderedCollection`` of their actor ids (``moderators_document``); Lemmy's
  ``postingRestrictedToMods`` says members may post.
- ``announce_activity``: the group relays a member's activity; the activity is embedded exactly
  as its author sent it (its integrity proof still verifies at every hospital).
- ``undo_announce_activity``: a moderator removed a post from the group.
"""

from __future__ import annotations

from typing import Any

from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT, PUBLIC
from fediverse_cases.convert.actors import actor_document
from fediverse_cases.convert.shapes import LocalActorLike
from fediverse_cases.core.urls import LocalUrls


def moderators_url(group_uri: str) -> str:
    return f"{group_uri}/moderators"


def group_document(actor: LocalActorLike, urls: LocalUrls) -> dict[str, Any]:
    document = actor_document(actor, urls)
    document["type"] = "Group"
    document["attributedTo"] = moderators_url(actor.uri)
    document["postingRestrictedToMods"] = False
    # A group speaks for no one: no professional claim, no teaching sets.
    for key in list(document):
        if key.startswith("fediverseCases:"):
            del document[key]
    return document


def moderators_document(group_uri: str, moderators: list[str]) -> dict[str, Any]:
    return {
        "@context": DEFAULT_CONTEXT,
        "id": moderators_url(group_uri),
        "type": "OrderedCollection",
        "totalItems": len(moderators),
        "orderedItems": moderators,
    }


def announce_activity(
    announce_id: str, group_uri: str, followers_url: str, original: dict[str, Any]
) -> dict[str, Any]:
    """``Announce`` of ``original`` by the group, to its members (as Lemmy sends it)."""
    return {
        "@context": DEFAULT_CONTEXT,
        "id": announce_id,
        "type": "Announce",
        "actor": group_uri,
        "to": [PUBLIC],
        "cc": [followers_url],
        "audience": group_uri,
        "object": original,
    }


def undo_announce_activity(
    undo_id: str, group_uri: str, followers_url: str, announce_id: str, object_id: str
) -> dict[str, Any]:
    return {
        "@context": DEFAULT_CONTEXT,
        "id": undo_id,
        "type": "Undo",
        "actor": group_uri,
        "to": [PUBLIC],
        "cc": [followers_url],
        "audience": group_uri,
        "object": {"id": announce_id, "type": "Announce", "actor": group_uri, "object": object_id},
    }
