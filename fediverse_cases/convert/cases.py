"""Cases <-> Notes, in both directions. Pure: no I/O, no database, no framework.

A case leaves this instance only as the Note built here: caption as escaped HTML, de-identified
display derivatives as Image attachments, specialty/tags as Hashtags, our
``fediverseCases:consentOnFile`` claim, addressing from ``core.audience``. Consent records,
originals and review notes are never read here, so they cannot leak.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fediverse_cases.activitypub.base import InvalidDocument, drop_none
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT
from fediverse_cases.activitypub.objects import Hashtag, Image, Mention, Note
from fediverse_cases.convert.html import html_to_text, sanitize_html, text_to_html
from fediverse_cases.convert.shapes import ActorLike, CaseLike, ImageLike, StackLike, TagLike
from fediverse_cases.core import audience
from fediverse_cases.core.case_access import case_facts, federates
from fediverse_cases.core.urls import LocalUrls

__all__ = [
    "MAX_ATTACHMENTS",
    "STACK_KEY_FRAMES",
    "RemoteCase",
    "RemoteImage",
    "as2_datetime",
    "case_facts",
    "case_from_note",
    "key_frames_per_stack",
    "note_from_case",
    "stack_collection",
]

MAX_ATTACHMENTS = 10
# A series shared as a stack is sent as at most this many evenly spaced frames (first and last
# included; Mastodon shows four) plus a Link to the whole stack; fewer when the case has several
# images, so that a Note never carries more than MAX_ATTACHMENTS images.
STACK_KEY_FRAMES = 4
MAX_TAGS = 30


def key_frames_per_stack(images: int) -> int:
    """How many key frames each stack of a case with ``images`` images shows (in its Note and its
    client-API status): at most STACK_KEY_FRAMES, fewer with several images, at least one."""
    return max(1, min(STACK_KEY_FRAMES, MAX_ATTACHMENTS // max(1, images)))


def as2_datetime(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_as2_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hashtag(urls: LocalUrls, name: str) -> Hashtag:
    clean = "".join(ch for ch in name if ch.isalnum() or ch == "_")
    return Hashtag(name=f"#{clean}", href=urls.tag(clean))


def note_from_case(
    case: CaseLike,
    images: Sequence[ImageLike],
    tags: Iterable[TagLike],
    author_actor: ActorLike,
    urls: LocalUrls,
    *,
    peers: Iterable[str] = (),
    media_url: Callable[[str, str], str] | None = None,
    stacks: Mapping[int, StackLike] | None = None,
) -> dict:
    """The Note for a local published case. Raises ``audience.NotFederated`` when the case must
    not leave this instance (not approved, hidden, withdrawn, or "this hospital only").

    ``peers`` are the instance actors of peer hospitals a "followers and peers" case is shared
    with; ``media_url`` maps (media key, media type) to the public URL of its de-identified display derivative.
    ``stacks`` (by image position): images that are DICOM series, each sent as its key frames and
    a ``Link`` to the full stack (``urls.case_stack``).
    """
    if not federates(case_facts(case)):
        raise audience.NotFederated("this case does not federate")
    display = media_url or urls.media_display
    addressing = audience.addressing_for(
        case.visibility,
        author_actor.followers_url,
        peers=peers if case.visibility == audience.Visibility.FOLLOWERS else (),
    )
    ordered = [image for image in sorted(images, key=lambda i: i.position) if image.media_key]
    stacks = stacks or {}
    per_stack = key_frames_per_stack(len(ordered))
    pictures: list[Image] = []
    links: list[dict[str, Any]] = []
    for image in ordered:
        stack = stacks.get(image.position)
        if stack is None:
            pictures.append(
                Image(
                    url=display(image.media_key, image.media_type),
                    media_type=image.media_type,
                    name=image.alt_text or None,
                    width=image.display_width or None,
                    height=image.display_height or None,
                    blurhash=image.blurhash or None,
                )
            )
            continue
        total = len(stack.frames)
        for index in stack.key_frames(per_stack):
            key, media_type = stack.frames[index][stack.default_preset]
            label = f"image {index + 1} of {total}"
            pictures.append(
                Image(
                    url=display(key, media_type),
                    media_type=media_type,
                    name=f"{image.alt_text} ({label})" if image.alt_text else label.capitalize(),
                    width=stack.width or None,
                    height=stack.height or None,
                )
            )
        links.append(
            {
                "type": "Link",
                "href": urls.case_stack(case.public_id, image.position),
                "mediaType": "application/activity+json",
                "rel": "fediverseCases:stack",
                "name": f"All {total} images of the series (stack)",
            }
        )
    attachments = tuple(pictures[:MAX_ATTACHMENTS])
    unique_tags: list[str] = []
    for tag in sorted(tags, key=lambda t: (not t.is_specialty, t.tag)):
        if tag.tag not in unique_tags:
            unique_tags.append(tag.tag)
    warning = case.content_warning.strip() if case.sensitive else ""
    note = Note(
        id=case.ap_id,
        attributed_to=author_actor.uri,
        content=text_to_html(case.caption),
        name=case.title.strip() or None,
        to=addressing.to,
        cc=addressing.cc,
        published=as2_datetime(case.published_at),
        updated=as2_datetime(case.updated_at)
        if case.updated_at and case.published_at and case.updated_at > case.published_at
        else None,
        url=urls.case(case.public_id),
        summary=(warning or "Graphic clinical image") if case.sensitive else None,
        sensitive=case.sensitive,
        attachments=attachments,
        tags=tuple(_hashtag(urls, t) for t in unique_tags[:MAX_TAGS]),
        replies=urls.case_replies(case.public_id),
        consent_on_file=True,
    )
    document = note.to_json(with_context=True)
    if links:
        # Link attachments after the images: Mastodon-style servers skip them (no ``url``),
        # fediverse-cases peers follow them to the whole stack.
        document["attachment"] = [*document.get("attachment", []), *links]
    # FEP-7888: the thread lives in one collection at the case's home (see threads.context_collection).
    document["context"] = urls.case_context(case.public_id)
    document["interactionPolicy"] = interaction_policy(
        author_actor.uri,
        [*addressing.to, *addressing.cc],
        public=case.visibility == audience.Visibility.PUBLIC,
    )
    return document


def stack_collection(case: CaseLike, image: ImageLike, stack: StackLike, urls: LocalUrls) -> dict[str, Any]:
    """The whole stack of one image of a case (a DICOM series), linked from the Note: every frame
    in order as an ``Image`` whose ``url`` lists one ``Link`` per window preset (the first is the
    default), and the presets themselves in ``fediverseCases:windowPresets``."""
    total = len(stack.frames)
    items = []
    for index, frame in enumerate(stack.frames):
        links = []
        for preset in stack.presets:
            key = str(preset["key"])
            if key in frame:
                media_key, media_type = frame[key]
                links.append(
                    {
                        "type": "Link",
                        "href": urls.media_display(media_key, media_type),
                        "mediaType": media_type,
                        "name": str(preset["label"]),
                        "fediverseCases:windowPreset": key,
                    }
                )
        label = f"image {index + 1} of {total}"
        items.append(
            {
                "type": "Image",
                "name": f"{image.alt_text} ({label})" if image.alt_text else label.capitalize(),
                "width": stack.width or None,
                "height": stack.height or None,
                "url": links,
            }
        )
    return {
        "@context": DEFAULT_CONTEXT,
        "id": urls.case_stack(case.public_id, image.position),
        "type": "OrderedCollection",
        "name": f"All {total} images of the series",
        "context": case.ap_id,
        "url": urls.case(case.public_id),
        "totalItems": total,
        "fediverseCases:windowPresets": [
            {
                "key": p["key"],
                "name": p["label"],
                "windowCenter": p.get("center"),
                "windowWidth": p.get("width"),
            }
            for p in stack.presets
        ],
        "orderedItems": [drop_none(item) for item in items],
    }


def interaction_policy(author_uri: str, audience_iris: Sequence[str], *, public: bool) -> dict[str, Any]:
    """GoToSocial's ``interactionPolicy`` (read by Mastodon 4.5 for quotes): nobody may quote
    or boost a clinical case but its author, and only its audience — followers and peer
    hospitals, or anyone for a public case — may reply or like."""
    audience_only = [iri for iri in audience_iris if iri != audience.PUBLIC]
    everyone = [audience.PUBLIC] if public else audience_only
    return {
        "canQuote": {"automaticApproval": [author_uri], "manualApproval": []},
        "canAnnounce": {"always": [author_uri], "approvalRequired": []},
        "canReply": {"always": [author_uri, *everyone], "approvalRequired": []},
        "canLike": {"always": [author_uri, *everyone], "approvalRequired": []},
    }


@dataclass(frozen=True)
class RemoteImage:
    position: int
    url: str
    media_type: str
    alt_text: str
    width: int
    height: int
    blurhash: str


@dataclass(frozen=True)
class RemoteCase:
    """What we store about a case received from a peer (before its images are cached)."""

    ap_id: str
    author_uri: str
    title: str  # the Note's ``name`` as plain text; empty when the sender has none
    caption: str
    visibility: str  # public | followers (anything not public is kept members-only)
    sensitive: bool
    content_warning: str
    published_at: datetime | None
    updated_at: datetime | None
    url: str | None
    replies: str | None
    consent_on_file: bool
    images: tuple[RemoteImage, ...]
    tags: tuple[str, ...]
    mentions: tuple[str, ...]


def _note(value: dict | Note) -> Note:
    return value if isinstance(value, Note) else Note.from_json(value)


def case_from_note(value: dict | Note, followers_url: str | None = None, *, edit: bool = False) -> RemoteCase:
    """A remote top-level Note as a case. Raises InvalidDocument for a reply or a note without
    images (a case is 1-10 images); the caption is reduced to plain text from sanitized HTML.
    ``edit``: the Note of an Update, whose images we keep (Takahē omits them from edits)."""
    note = _note(value)
    if note.in_reply_to:
        raise InvalidDocument("a reply is a comment, not a case")
    images = tuple(
        RemoteImage(
            position=index,
            url=attachment.url,
            media_type=attachment.media_type or "",
            alt_text=(attachment.name or "")[:1500],
            width=attachment.width or 0,
            height=attachment.height or 0,
            blurhash=(attachment.blurhash or "")[:200],
        )
        for index, attachment in enumerate(note.attachments[:MAX_ATTACHMENTS])
    )
    if not images and not edit:
        raise InvalidDocument("a case needs at least one image")
    seen = audience.visibility_from_addressing(note.to, note.cc, followers_url)
    visibility = "public" if seen is audience.Visibility.PUBLIC else "followers"
    tags: list[str] = []
    for tag in note.tags:
        if isinstance(tag, Hashtag):
            name = tag.name.lstrip("#").strip().lower()[:64]
            if name and name not in tags:
                tags.append(name)
    return RemoteCase(
        ap_id=note.id,
        author_uri=note.attributed_to,
        # ``name`` is plain text by the AS2 vocabulary; markup a sender put in it is stripped.
        title=" ".join(html_to_text(sanitize_html(note.name or "")).split())[:200],
        caption=html_to_text(sanitize_html(note.content)),
        visibility=visibility,
        sensitive=note.sensitive,
        content_warning=(note.summary or "")[:300] if note.sensitive else "",
        published_at=parse_as2_datetime(note.published),
        updated_at=parse_as2_datetime(note.updated),
        url=note.url,
        replies=note.replies,
        consent_on_file=note.consent_on_file is True,
        images=images,
        tags=tuple(tags[:MAX_TAGS]),
        mentions=tuple(t.href for t in note.tags if isinstance(t, Mention)),
    )
