"""What the converters read from stored rows, as Protocols: convert/ never imports storage, so
any object with these attributes (an ORM row, a test double) can be converted. Stdlib only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["ActorLike", "CaseLike", "CommentLike", "ImageLike", "LocalActorLike", "TagLike"]


class CaseLike(Protocol):
    public_id: str
    ap_id: str
    author_actor_id: int
    is_local: bool
    state: str
    visibility: str
    title: str
    caption: str
    content_warning: str
    sensitive: bool
    hidden: bool
    published_at: datetime | None
    updated_at: datetime | None


class ImageLike(Protocol):
    position: int
    media_key: str
    media_type: str
    display_width: int
    display_height: int
    blurhash: str
    alt_text: str


class StackLike(Protocol):
    """A series shared as a stack (services.dicom_stack.CaseStack): per frame, each window preset's
    (media key, media type); the first preset is the default."""

    frames: list[dict[str, tuple[str, str]]]
    presets: list[dict]
    width: int
    height: int

    @property
    def default_preset(self) -> str: ...

    def key_frames(self, count: int) -> list[int]: ...


class TagLike(Protocol):
    tag: str
    is_specialty: bool


class ActorLike(Protocol):
    uri: str
    username: str
    host: str
    followers_url: str
    profile_url: str


class LocalActorLike(ActorLike, Protocol):
    """A local actor as its document shows it (keys, inboxes, collections, the claim)."""

    actor_type: str
    display_name: str
    summary: str
    inbox_url: str
    outbox_url: str
    following_url: str
    public_key_id: str
    public_key_pem: str
    ed25519_key_id: str
    ed25519_public_multibase: str
    created_at: datetime | None
    verified_professional: bool
    profession: str
    manually_approves_followers: bool


class CommentLike(Protocol):
    public_id: str
    ap_id: str
    is_local: bool
    content: str
    content_html: str
    state: str
    created_at: datetime
    edited_at: datetime | None
