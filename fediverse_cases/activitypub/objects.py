"""Content objects: Note (a case or a comment), its Image attachments, Hashtag and Mention tags,
and Tombstone. Each has ``from_json``/``to_json``. Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from fediverse_cases.activitypub.base import (
    InvalidDocument,
    UnsupportedType,
    drop_none,
    ext_value,
    get_type,
    id_of,
    iri_list,
    opt_bool,
    opt_int,
    opt_iri,
    opt_str,
    req_iri,
)
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT, ext

__all__ = ["Hashtag", "Image", "Mention", "Note", "Tag", "Tombstone"]


def _context(data: dict[str, Any], with_context: bool) -> dict[str, Any]:
    return {"@context": DEFAULT_CONTEXT, **data} if with_context else data


@dataclass(frozen=True)
class Image:
    """A media attachment. ``name`` is the alt text; GoToSocial writes it in ``summary``."""

    TYPE: ClassVar[str] = "Image"
    url: str
    media_type: str | None = None
    name: str | None = None
    width: int | None = None
    height: int | None = None
    blurhash: str | None = None
    focal_point: tuple[float, float] | None = None
    type: str = "Image"  # "Image" or "Document" (Mastodon sends Document for every upload)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Image:
        kind = get_type(data)
        if kind not in ("Image", "Document"):
            raise UnsupportedType(kind, "attachment")
        url_value = data.get("url")
        if isinstance(url_value, list):  # several Links: take the first with an href
            url_value = next((u for u in url_value if id_of(u)), None)
        media_type = opt_str(data, "mediaType")
        if isinstance(url_value, dict) and media_type is None:
            media_type = url_value.get("mediaType") if isinstance(url_value.get("mediaType"), str) else None
        url = req_iri({"url": url_value}, "url")
        focal = data.get("focalPoint")
        focal_point = None
        if isinstance(focal, list) and len(focal) == 2 and all(isinstance(v, int | float) for v in focal):
            focal_point = (float(focal[0]), float(focal[1]))
        return cls(
            url=url,
            media_type=media_type,
            name=opt_str(data, "name") or opt_str(data, "summary"),
            width=opt_int(data, "width"),
            height=opt_int(data, "height"),
            blurhash=opt_str(data, "blurhash"),
            focal_point=focal_point,
            type=kind,
        )

    def to_json(self) -> dict[str, Any]:
        return drop_none(
            {
                "type": self.type,
                "mediaType": self.media_type,
                "url": self.url,
                "name": self.name,
                "summary": self.name,  # alt text in both places: Mastodon reads name, GtS summary
                "width": self.width,
                "height": self.height,
                "blurhash": self.blurhash,
                "focalPoint": list(self.focal_point) if self.focal_point else None,
            }
        )


@dataclass(frozen=True)
class Hashtag:
    TYPE: ClassVar[str] = "Hashtag"
    name: str
    href: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hashtag:
        name = opt_str(data, "name")
        if not name:
            raise InvalidDocument("Hashtag without name")
        return cls(name=name, href=opt_iri(data, "href"))

    def to_json(self) -> dict[str, Any]:
        return drop_none({"type": "Hashtag", "href": self.href, "name": self.name})


@dataclass(frozen=True)
class Mention:
    TYPE: ClassVar[str] = "Mention"
    href: str
    name: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mention:
        return cls(href=req_iri(data, "href"), name=opt_str(data, "name"))

    def to_json(self) -> dict[str, Any]:
        return drop_none({"type": "Mention", "href": self.href, "name": self.name})


Tag = Hashtag | Mention


def _tags(data: dict[str, Any]) -> tuple[Tag, ...]:
    raw = data.get("tag")
    items = raw if isinstance(raw, list) else ([raw] if raw is not None else [])
    out: list[Tag] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        # Emoji and other tag kinds are decoration we do not render; skipping them loses nothing.
        if kind == "Hashtag":
            out.append(Hashtag.from_json(item))
        elif kind == "Mention":
            out.append(Mention.from_json(item))
    return tuple(out)


def _attachments(data: dict[str, Any]) -> tuple[Image, ...]:
    raw = data.get("attachment")
    items = raw if isinstance(raw, list) else ([raw] if raw is not None else [])
    out: list[Image] = []
    for item in items:
        if isinstance(item, dict) and item.get("type") in ("Image", "Document"):
            out.append(Image.from_json(item))
        # PropertyValue (profile fields) and Link attachments are not media: ignore them.
    return tuple(out)


@dataclass(frozen=True)
class Note:
    """A case (top-level, ``consent_on_file`` set) or a comment (``in_reply_to`` set)."""

    TYPE: ClassVar[str] = "Note"
    id: str
    attributed_to: str
    content: str = ""
    name: str | None = None  # a case's title (plain text)
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    published: str | None = None
    updated: str | None = None
    in_reply_to: str | None = None
    url: str | None = None
    summary: str | None = None  # content warning
    sensitive: bool = False
    attachments: tuple[Image, ...] = ()
    tags: tuple[Tag, ...] = ()
    replies: str | None = None
    consent_on_file: bool | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Note:
        kind = get_type(data, {"Note"})
        if kind != "Note":
            raise UnsupportedType(kind)
        content = data.get("content")
        if content is None and isinstance(data.get("contentMap"), dict) and data["contentMap"]:
            content = next(iter(data["contentMap"].values()))
        if content is not None and not isinstance(content, str):
            raise InvalidDocument("content must be a string")
        consent = ext_value(data, "consentOnFile")
        return cls(
            id=req_iri(data, "id"),
            attributed_to=req_iri({"a": _first(data.get("attributedTo"))}, "a"),
            content=content or "",
            name=opt_str(data, "name") or None,
            to=iri_list(data, "to"),
            cc=iri_list(data, "cc"),
            published=opt_str(data, "published"),
            updated=opt_str(data, "updated"),
            in_reply_to=opt_iri(data, "inReplyTo"),
            url=opt_iri(data, "url"),
            summary=opt_str(data, "summary") or None,
            sensitive=bool(opt_bool(data, "sensitive")),
            attachments=_attachments(data),
            tags=_tags(data),
            replies=id_of(data.get("replies")),
            consent_on_file=consent if isinstance(consent, bool) else None,
        )

    def to_json(self, *, with_context: bool = False) -> dict[str, Any]:
        return _context(
            drop_none(
                {
                    "id": self.id,
                    "type": "Note",
                    "attributedTo": self.attributed_to,
                    "name": self.name,
                    "content": self.content,
                    "to": list(self.to),
                    "cc": list(self.cc),
                    "published": self.published,
                    "updated": self.updated,
                    "inReplyTo": self.in_reply_to,
                    "url": self.url,
                    "summary": self.summary,
                    "sensitive": self.sensitive,
                    "attachment": [a.to_json() for a in self.attachments],
                    "tag": [t.to_json() for t in self.tags],
                    "replies": self.replies,
                    ext("consentOnFile"): self.consent_on_file,
                }
            ),
            with_context,
        )


def _first(value: Any) -> Any:
    # attributedTo may be a list (Peertube adds the channel); the first entry is the author.
    if isinstance(value, list):
        return value[0] if value else None
    return value


@dataclass(frozen=True)
class Tombstone:
    TYPE: ClassVar[str] = "Tombstone"
    id: str
    former_type: str | None = None
    deleted: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tombstone:
        if get_type(data) != "Tombstone":
            raise UnsupportedType(data.get("type"))
        return cls(
            id=req_iri(data, "id"), former_type=opt_str(data, "formerType"), deleted=opt_str(data, "deleted")
        )

    def to_json(self, *, with_context: bool = False) -> dict[str, Any]:
        return _context(
            drop_none(
                {"id": self.id, "type": "Tombstone", "formerType": self.former_type, "deleted": self.deleted}
            ),
            with_context,
        )
