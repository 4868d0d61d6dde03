"""OrderedCollection / OrderedCollectionPage (and the unordered Collection forms Mastodon uses
for ``replies``). Items are kept as IRIs only: anything embedded in a collection is refetched
from its origin before use. Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from fediverse_cases.activitypub.base import (
    InvalidDocument,
    UnsupportedType,
    drop_none,
    get_type,
    id_of,
    opt_int,
    opt_iri,
    req_iri,
)
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT

__all__ = ["OrderedCollection", "OrderedCollectionPage"]


def _items(data: dict[str, Any]) -> tuple[str, ...]:
    raw = data.get("orderedItems", data.get("items"))
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    out = []
    for item in raw:
        iri = id_of(item)
        if iri is None:
            raise InvalidDocument("collection item without id")
        out.append(iri)
    return tuple(out)


def _page(value: Any) -> tuple[str | None, OrderedCollectionPage | None]:
    """``first`` may be an IRI or an embedded page (Mastodon embeds it in ``replies``)."""
    if isinstance(value, dict):
        return id_of(value), OrderedCollectionPage.from_json(value)
    return (value if isinstance(value, str) else None), None


@dataclass(frozen=True)
class OrderedCollectionPage:
    TYPE: ClassVar[str] = "OrderedCollectionPage"
    id: str | None
    items: tuple[str, ...] = ()
    part_of: str | None = None
    next: str | None = None
    prev: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderedCollectionPage:
        kind = get_type(data)
        if kind not in ("OrderedCollectionPage", "CollectionPage"):
            raise UnsupportedType(kind)
        return cls(
            id=id_of(data.get("id")),
            items=_items(data),
            part_of=opt_iri(data, "partOf"),
            next=opt_iri(data, "next"),
            prev=opt_iri(data, "prev"),
        )

    def to_json(self, *, with_context: bool = True) -> dict[str, Any]:
        data = drop_none(
            {
                "id": self.id,
                "type": "OrderedCollectionPage",
                "partOf": self.part_of,
                "next": self.next,
                "prev": self.prev,
                "orderedItems": list(self.items),
            }
        )
        data.setdefault("orderedItems", [])
        return {"@context": DEFAULT_CONTEXT, **data} if with_context else data


@dataclass(frozen=True)
class OrderedCollection:
    TYPE: ClassVar[str] = "OrderedCollection"
    id: str
    total_items: int | None = None
    first: str | None = None
    last: str | None = None
    items: tuple[str, ...] = ()
    first_page: OrderedCollectionPage | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderedCollection:
        kind = get_type(data)
        if kind not in ("OrderedCollection", "Collection"):
            raise UnsupportedType(kind)
        first, first_page = _page(data.get("first"))
        return cls(
            id=req_iri(data, "id"),
            total_items=opt_int(data, "totalItems"),
            first=first,
            last=id_of(data.get("last")),
            items=_items(data),
            first_page=first_page,
        )

    def to_json(self, *, with_context: bool = True) -> dict[str, Any]:
        data = drop_none(
            {
                "id": self.id,
                "type": "OrderedCollection",
                "totalItems": self.total_items,
                "first": self.first_page.to_json(with_context=False) if self.first_page else self.first,
                "last": self.last,
                "orderedItems": list(self.items) if self.items else None,
            }
        )
        return {"@context": DEFAULT_CONTEXT, **data} if with_context else data
