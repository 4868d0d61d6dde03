"""Activities we accept and emit: Create, Update, Delete, Follow, Accept, Reject, Undo, Like,
Announce, Flag. Each class knows which object shapes it may carry; anything else raises
UnsupportedType or InvalidDocument, so a handler never sees a half-understood activity.

Embedded objects are parsed, but an embedded object is only a claim: origin checks
(federation/origin.py) decide whether it may be trusted or must be refetched. Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from fediverse_cases.activitypub.actors import ACTOR_TYPES
from fediverse_cases.activitypub.base import (
    InvalidDocument,
    UnsupportedType,
    drop_none,
    get_type,
    id_of,
    iri_list,
    opt_str,
    req_iri,
)
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT
from fediverse_cases.activitypub.objects import Note, Tombstone
from fediverse_cases.activitypub.questions import Question

__all__ = [
    "ACTIVITY_TYPES",
    "Accept",
    "Activity",
    "Announce",
    "Create",
    "Delete",
    "Flag",
    "Follow",
    "Like",
    "ObjectValue",
    "QuoteRequest",
    "Reject",
    "Undo",
    "Update",
    "View",
]

ObjectValue = Any  # str | Note | Tombstone | Actor | Activity | tuple[str, ...]


def _to_json(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return list(value)
    return value.to_json(with_context=False)


@dataclass(frozen=True)
class Activity:
    TYPE: ClassVar[str] = ""
    id: str
    actor: str
    object: ObjectValue
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    published: str | None = None

    @property
    def object_id(self) -> str:
        """The IRI of the object, whether it was sent embedded or by reference."""
        value = self.object
        if isinstance(value, str):
            return value
        if isinstance(value, tuple):
            return value[0]
        return value.id

    @property
    def object_embedded(self) -> bool:
        return not isinstance(self.object, str | tuple)

    @classmethod
    def _parse_object(cls, raw: Any) -> ObjectValue:
        """Per-type object rule; the default accepts a reference only."""
        iri = id_of(raw)
        if iri is None:
            raise InvalidDocument(f"{cls.TYPE} without object")
        return req_iri({"object": iri}, "object")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Activity:
        kind = get_type(data, ACTIVITY_TYPES)
        if kind != cls.TYPE:
            raise UnsupportedType(kind, cls.__name__)
        if "object" not in data or data["object"] is None:
            raise InvalidDocument(f"{kind} without object")
        return cls(
            id=req_iri(data, "id"),
            actor=req_iri(data, "actor"),
            object=cls._parse_object(data["object"]),
            to=iri_list(data, "to"),
            cc=iri_list(data, "cc"),
            published=opt_str(data, "published"),
            **cls._extra_from_json(data),
        )

    @classmethod
    def _extra_from_json(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _extra_to_json(self) -> dict[str, Any]:
        return {}

    def to_json(self, *, with_context: bool = True) -> dict[str, Any]:
        data = drop_none(
            {
                "id": self.id,
                "type": self.TYPE,
                "actor": self.actor,
                "object": _to_json(self.object),
                "to": list(self.to),
                "cc": list(self.cc),
                "published": self.published,
                **self._extra_to_json(),
            }
        )
        return {"@context": DEFAULT_CONTEXT, **data} if with_context else data


def _embedded(raw: Any, allowed: dict[str, Any], where: str) -> Any:
    if not isinstance(raw, dict):
        raise InvalidDocument(f"{where} must embed its object")
    kind = get_type(raw, allowed)
    if kind not in allowed:
        raise UnsupportedType(kind, where)
    return allowed[kind].from_json(raw)


@dataclass(frozen=True)
class Create(Activity):
    TYPE: ClassVar[str] = "Create"

    @classmethod
    def _parse_object(cls, raw: Any) -> ObjectValue:
        return _embedded(raw, {"Note": Note, "Question": Question}, "Create")


@dataclass(frozen=True)
class Update(Activity):
    TYPE: ClassVar[str] = "Update"

    @classmethod
    def _parse_object(cls, raw: Any) -> ObjectValue:
        return _embedded(raw, {"Note": Note, "Question": Question, **ACTOR_TYPES}, "Update")


@dataclass(frozen=True)
class Delete(Activity):
    """Object: an IRI, or a Tombstone. Any other embedded object is reduced to its id."""

    TYPE: ClassVar[str] = "Delete"

    @classmethod
    def _parse_object(cls, raw: Any) -> ObjectValue:
        if isinstance(raw, dict) and raw.get("type") == "Tombstone":
            return Tombstone.from_json(raw)
        return super()._parse_object(raw)


@dataclass(frozen=True)
class Follow(Activity):
    TYPE: ClassVar[str] = "Follow"


@dataclass(frozen=True)
class Like(Activity):
    TYPE: ClassVar[str] = "Like"


@dataclass(frozen=True)
class Announce(Activity):
    """Object kept as a reference even if embedded: a boosted object is refetched from origin."""

    TYPE: ClassVar[str] = "Announce"


@dataclass(frozen=True)
class QuoteRequest(Activity):
    """Mastodon 4.5 asks the author before quoting (FEP-044f): ``object`` is the quoted post."""

    TYPE: ClassVar[str] = "QuoteRequest"


@dataclass(frozen=True)
class View(Activity):
    """The actor has viewed the object (AS2): a recipient saw a page (``federation.page_seen``)."""

    TYPE: ClassVar[str] = "View"


@dataclass(frozen=True)
class Accept(Activity):
    TYPE: ClassVar[str] = "Accept"

    @classmethod
    def _parse_object(cls, raw: Any) -> ObjectValue:
        if isinstance(raw, dict) and raw.get("type") is not None:
            return _embedded(raw, {"Follow": Follow}, cls.TYPE)
        return super()._parse_object(raw)


@dataclass(frozen=True)
class Reject(Accept):
    TYPE: ClassVar[str] = "Reject"


@dataclass(frozen=True)
class Undo(Activity):
    TYPE: ClassVar[str] = "Undo"

    @classmethod
    def _parse_object(cls, raw: Any) -> ObjectValue:
        if isinstance(raw, dict) and raw.get("type") is not None:
            return _embedded(raw, {"Follow": Follow, "Like": Like, "Announce": Announce}, "Undo")
        return super()._parse_object(raw)


@dataclass(frozen=True)
class Flag(Activity):
    """A report. Mastodon sends ``object`` as a list: the reported actor, then status IRIs."""

    TYPE: ClassVar[str] = "Flag"
    content: str | None = None

    @classmethod
    def _parse_object(cls, raw: Any) -> ObjectValue:
        items = raw if isinstance(raw, list) else [raw]
        iris = tuple(req_iri({"object": id_of(i)}, "object") for i in items)
        if not iris:
            raise InvalidDocument("Flag without object")
        return iris

    @classmethod
    def _extra_from_json(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {"content": opt_str(data, "content")}

    def _extra_to_json(self) -> dict[str, Any]:
        return {"content": self.content}


ACTIVITY_TYPES: dict[str, type[Activity]] = {
    cls.TYPE: cls
    for cls in (
        Create,
        Update,
        Delete,
        Follow,
        Accept,
        Reject,
        Undo,
        Like,
        Announce,
        Flag,
        QuoteRequest,
        View,
    )
}
