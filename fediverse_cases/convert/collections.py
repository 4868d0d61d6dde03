"""Published teaching sets as ActivityStreams documents. Pure.

A set is an ``OrderedCollection`` at its page's URL, attributed to its owner, with the ids of its
public cases in the set's order; each person's published sets are listed in the
``OrderedCollection`` their actor names in ``fediverseCases:collections`` (like Mastodon's
``featured``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fediverse_cases.activitypub.base import drop_none
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT

__all__ = ["collection_document", "collections_index"]


def collection_document(
    collection_id: str,
    owner_uri: str,
    title: str,
    description: str,
    case_ids: Sequence[str],
    updated: str | None,
) -> dict[str, Any]:
    return {
        "@context": DEFAULT_CONTEXT,
        **drop_none(
            {
                "id": collection_id,
                "type": "OrderedCollection",
                "name": title,
                "summary": description or None,
                "attributedTo": owner_uri,
                "updated": updated,
                "totalItems": len(case_ids),
            }
        ),
        "orderedItems": list(case_ids),
    }


def collections_index(index_id: str, owner_uri: str, collection_ids: Sequence[str]) -> dict[str, Any]:
    return {
        "@context": DEFAULT_CONTEXT,
        "id": index_id,
        "type": "OrderedCollection",
        "attributedTo": owner_uri,
        "totalItems": len(collection_ids),
        "orderedItems": list(collection_ids),
    }
