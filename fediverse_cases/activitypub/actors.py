"""Actors: Person (clinicians), Service/Application (a hospital's instance actor), with their
RSA ``publicKey`` (HTTP signatures) and Ed25519 ``assertionMethod`` Multikeys (FEP-521a, for
integrity proofs), and our verified-professional extension. Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from fediverse_cases.activitypub.base import (
    InvalidDocument,
    UnsupportedType,
    drop_none,
    ext_value,
    get_type,
    id_of,
    opt_bool,
    opt_iri,
    opt_str,
    req_iri,
)
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT, ext

__all__ = ["ACTOR_TYPES", "Actor", "Application", "Group", "Multikey", "Person", "PublicKey", "Service"]


@dataclass(frozen=True)
class PublicKey:
    id: str
    owner: str
    public_key_pem: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PublicKey:
        pem = opt_str(data, "publicKeyPem")
        if not pem:
            raise InvalidDocument("publicKey without publicKeyPem")
        return cls(id=req_iri(data, "id"), owner=req_iri(data, "owner"), public_key_pem=pem)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "owner": self.owner, "publicKeyPem": self.public_key_pem}


@dataclass(frozen=True)
class Multikey:
    TYPE: ClassVar[str] = "Multikey"
    id: str
    controller: str
    public_key_multibase: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Multikey:
        if get_type(data) != "Multikey":
            raise UnsupportedType(data.get("type"), "assertionMethod")
        value = opt_str(data, "publicKeyMultibase")
        if not value:
            raise InvalidDocument("Multikey without publicKeyMultibase")
        return cls(id=req_iri(data, "id"), controller=req_iri(data, "controller"), public_key_multibase=value)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "Multikey",
            "controller": self.controller,
            "publicKeyMultibase": self.public_key_multibase,
        }


def _public_key(data: dict[str, Any]) -> PublicKey | None:
    raw = data.get("publicKey")
    if isinstance(raw, list):  # a few servers publish several; the first is the signing key
        raw = raw[0] if raw else None
    return PublicKey.from_json(raw) if isinstance(raw, dict) else None


def _assertion_methods(data: dict[str, Any]) -> tuple[Multikey, ...]:
    raw = data.get("assertionMethod")
    items = raw if isinstance(raw, list) else ([raw] if raw is not None else [])
    # Only embedded Multikeys are usable without another fetch; other kinds are skipped.
    return tuple(Multikey.from_json(i) for i in items if isinstance(i, dict) and i.get("type") == "Multikey")


def _icon_url(data: dict[str, Any]) -> str | None:
    icon = data.get("icon")
    if isinstance(icon, list):
        icon = icon[0] if icon else None
    if isinstance(icon, dict):
        return id_of(icon.get("url")) if not isinstance(icon.get("url"), str) else icon["url"]
    return icon if isinstance(icon, str) else None


@dataclass(frozen=True)
class Actor:
    """Common actor shape; use :class:`Person`, :class:`Service` or :class:`Application`."""

    TYPE: ClassVar[str] = ""
    id: str
    inbox: str
    preferred_username: str | None = None
    name: str | None = None
    summary: str | None = None
    outbox: str | None = None
    followers: str | None = None
    following: str | None = None
    shared_inbox: str | None = None
    url: str | None = None
    icon_url: str | None = None
    public_key: PublicKey | None = None
    assertion_methods: tuple[Multikey, ...] = field(default=())
    manually_approves_followers: bool = False
    discoverable: bool | None = None
    published: str | None = None
    verified_professional: bool = False
    profession: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Actor:
        kind = get_type(data, ACTOR_TYPES)
        target = ACTOR_TYPES.get(kind)
        if target is None:
            raise UnsupportedType(kind)
        if cls is not Actor and target is not cls:
            raise UnsupportedType(kind, cls.__name__)
        endpoints = data.get("endpoints") if isinstance(data.get("endpoints"), dict) else {}
        verified = ext_value(data, "verifiedProfessional")
        profession = ext_value(data, "profession")
        return target(
            id=req_iri(data, "id"),
            inbox=req_iri(data, "inbox"),
            preferred_username=opt_str(data, "preferredUsername"),
            name=opt_str(data, "name"),
            summary=opt_str(data, "summary"),
            outbox=opt_iri(data, "outbox"),
            followers=opt_iri(data, "followers"),
            following=opt_iri(data, "following"),
            shared_inbox=opt_iri(endpoints, "sharedInbox"),
            url=opt_iri(data, "url"),
            icon_url=_icon_url(data),
            public_key=_public_key(data),
            assertion_methods=_assertion_methods(data),
            manually_approves_followers=bool(opt_bool(data, "manuallyApprovesFollowers")),
            discoverable=opt_bool(data, "discoverable"),
            published=opt_str(data, "published"),
            verified_professional=verified is True,
            profession=profession if isinstance(profession, str) else None,
        )

    def to_json(self, *, with_context: bool = True) -> dict[str, Any]:
        data = drop_none(
            {
                "id": self.id,
                "type": self.TYPE,
                "preferredUsername": self.preferred_username,
                "name": self.name,
                "summary": self.summary,
                "inbox": self.inbox,
                "outbox": self.outbox,
                "followers": self.followers,
                "following": self.following,
                "endpoints": {"sharedInbox": self.shared_inbox} if self.shared_inbox else None,
                "url": self.url,
                "icon": {"type": "Image", "url": self.icon_url} if self.icon_url else None,
                "publicKey": self.public_key.to_json() if self.public_key else None,
                "assertionMethod": [m.to_json() for m in self.assertion_methods],
                "manuallyApprovesFollowers": self.manually_approves_followers,
                "discoverable": self.discoverable,
                "published": self.published,
                ext("verifiedProfessional"): self.verified_professional,
                ext("profession"): self.profession,
            }
        )
        return {"@context": DEFAULT_CONTEXT, **data} if with_context else data

    def multikey(self, key_id: str) -> Multikey | None:
        """The assertionMethod with this id, if the actor lists it (integrity-proof lookup)."""
        return next((m for m in self.assertion_methods if m.id == key_id), None)


@dataclass(frozen=True)
class Person(Actor):
    TYPE: ClassVar[str] = "Person"


@dataclass(frozen=True)
class Service(Actor):
    TYPE: ClassVar[str] = "Service"


@dataclass(frozen=True)
class Application(Actor):
    TYPE: ClassVar[str] = "Application"


@dataclass(frozen=True)
class Group(Actor):
    """A FEP-1b12 group (ours, Lemmy's communities, PieFed's, Pixelfed's groups): members follow
    it and it ``Announce``s what they post to it."""

    TYPE: ClassVar[str] = "Group"


ACTOR_TYPES: dict[str, type[Actor]] = {
    "Person": Person,
    "Service": Service,
    "Application": Application,
    "Group": Group,
}
