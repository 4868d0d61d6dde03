"""The one parse registry: JSON -> typed vocabulary object, by ``type``.

Unknown types raise UnsupportedType (the inbox answers 4xx or ignores), never a partial
object. Stdlib only.
"""

from __future__ import annotations

from typing import Any

from fediverse_cases.activitypub.activities import ACTIVITY_TYPES, Activity
from fediverse_cases.activitypub.actors import ACTOR_TYPES, Actor
from fediverse_cases.activitypub.base import UnsupportedType, get_type
from fediverse_cases.activitypub.collections import OrderedCollection, OrderedCollectionPage
from fediverse_cases.activitypub.objects import Image, Note, Tombstone
from fediverse_cases.activitypub.questions import Question

__all__ = ["OBJECT_TYPES", "APObject", "parse_activity", "parse_actor", "parse_any", "parse_object"]

APObject = Note | Tombstone | Image | Actor | OrderedCollection | OrderedCollectionPage

OBJECT_TYPES: dict[str, Any] = {
    "Note": Note,
    "Question": Question,
    "Tombstone": Tombstone,
    "Image": Image,
    "Document": Image,
    **ACTOR_TYPES,
    "OrderedCollection": OrderedCollection,
    "Collection": OrderedCollection,
    "OrderedCollectionPage": OrderedCollectionPage,
    "CollectionPage": OrderedCollectionPage,
}


def parse_activity(data: dict[str, Any]) -> Activity:
    kind = get_type(data, ACTIVITY_TYPES)
    cls = ACTIVITY_TYPES.get(kind)
    if cls is None:
        raise UnsupportedType(kind)
    return cls.from_json(data)


def parse_object(data: dict[str, Any]) -> APObject:
    """A non-activity object (Note, actor, Tombstone, Image, collection)."""
    kind = get_type(data, OBJECT_TYPES)
    cls = OBJECT_TYPES.get(kind)
    if cls is None:
        raise UnsupportedType(kind)
    return cls.from_json(data)  # type: ignore[no-any-return]


def parse_actor(data: dict[str, Any]) -> Actor:
    return Actor.from_json(data)


def parse_any(data: dict[str, Any]) -> Activity | APObject:
    kind = get_type(data, {**ACTIVITY_TYPES, **OBJECT_TYPES})
    if kind in ACTIVITY_TYPES:
        return parse_activity(data)
    return parse_object(data)
