"""activitypub: the ActivityStreams vocabulary we speak, as frozen dataclasses with
``from_json``/``to_json`` and one parse registry. Stdlib only (never quart, sqlalchemy, httpx).
"""

from __future__ import annotations

from fediverse_cases.activitypub.activities import (
    ACTIVITY_TYPES,
    Accept,
    Activity,
    Announce,
    Create,
    Delete,
    Flag,
    Follow,
    Like,
    Reject,
    Undo,
    Update,
)
from fediverse_cases.activitypub.actors import Actor, Application, Multikey, Person, PublicKey, Service
from fediverse_cases.activitypub.base import InvalidDocument, UnsupportedType, VocabularyError
from fediverse_cases.activitypub.collections import OrderedCollection, OrderedCollectionPage
from fediverse_cases.activitypub.constants import (
    AS2_CONTEXT,
    DEFAULT_CONTEXT,
    FEDIVERSE_CASES_NS,
    PUBLIC,
    PUBLIC_ALIASES,
)
from fediverse_cases.activitypub.json_guard import JsonDocumentError, load_json_document
from fediverse_cases.activitypub.objects import Hashtag, Image, Mention, Note, Tombstone
from fediverse_cases.activitypub.registry import parse_activity, parse_actor, parse_any, parse_object

__all__ = [
    "ACTIVITY_TYPES",
    "AS2_CONTEXT",
    "DEFAULT_CONTEXT",
    "FEDIVERSE_CASES_NS",
    "PUBLIC",
    "PUBLIC_ALIASES",
    "Accept",
    "Activity",
    "Actor",
    "Announce",
    "Application",
    "Create",
    "Delete",
    "Flag",
    "Follow",
    "Hashtag",
    "Image",
    "InvalidDocument",
    "JsonDocumentError",
    "Like",
    "Mention",
    "Multikey",
    "Note",
    "OrderedCollection",
    "OrderedCollectionPage",
    "Person",
    "PublicKey",
    "Reject",
    "Service",
    "Tombstone",
    "Undo",
    "UnsupportedType",
    "Update",
    "VocabularyError",
    "load_json_document",
    "parse_activity",
    "parse_actor",
    "parse_any",
    "parse_object",
]
