"""Mastodon Status, MediaAttachment, Tag and Notification shapes for cases and comments.

Status ids: a case is ``2 * case.id`` and a comment ``2 * comment.id + 1``, so both share one
id space and ``max_id``/``since_id`` order cases by creation. Plain functions over loaded rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape

from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.core.notification_types import notification_type
from fediverse_cases.core.specialties import hashtags_in
from fediverse_cases.storage.models import Case, CaseImage, Comment, MediaUpload, Notification
from fediverse_cases.storage.repositories.dicom import KeyFrame
from fediverse_cases.storage.repositories.feeds import CaseListing
from fediverse_cases.web.api.serializers import iso

OUR_TO_MASTODON_VISIBILITY = {
    Visibility.PUBLIC: "public",
    Visibility.FOLLOWERS: "private",
    Visibility.LOCAL: "private",
}
VARIANT_EXTENSION = {"image/jpeg": ".jpg", "image/png": ".png"}


def case_status_id(case_id: int) -> str:
    return str(case_id * 2)


def comment_status_id(comment_id: int) -> str:
    return str(comment_id * 2 + 1)


def parse_status_id(text: str) -> tuple[str, int] | None:
    """("case", id) or ("comment", id); None for anything that is not one of ours."""
    if not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    if number == 0:
        return None
    return ("comment", (number - 1) // 2) if number % 2 else ("case", number // 2)


def _media_url(base_url: str, key: str, variant: str, media_type: str) -> str:
    return f"{base_url}/media/{key}-{variant}{VARIANT_EXTENSION.get(media_type, '.jpg')}"


def _meta(width: int, height: int, small_width: int, small_height: int) -> dict[str, object]:
    def one(w: int, h: int) -> dict[str, object]:
        return {"width": w, "height": h, "size": f"{w}x{h}", "aspect": (w / h) if h else 0}

    return {"original": one(width, height), "small": one(small_width, small_height)}


def attachment_json(item: CaseImage | MediaUpload, base_url: str) -> dict[str, object]:
    """An upload still being de-identified has no key yet: ``url``, ``meta`` and ``blurhash``
    are null until it is ready, which is how Mastodon clients know to poll."""
    key = item.media_key
    description = item.alt_text if isinstance(item, CaseImage) else item.description
    return {
        "id": str(item.id) if isinstance(item, MediaUpload) else f"i{item.id}",
        "type": "image",
        "url": _media_url(base_url, key, "full", item.media_type) if key else None,
        "preview_url": _media_url(base_url, key, "thumb", item.media_type) if key else None,
        "remote_url": None if isinstance(item, MediaUpload) or not item.remote_url else item.remote_url,
        "preview_remote_url": None,
        "text_url": None,
        "meta": _meta(item.width, item.height, item.thumbnail_width, item.thumbnail_height) if key else None,
        "description": description or None,
        "blurhash": item.blurhash or None,
    }


def key_frame_json(image: CaseImage, frame: KeyFrame, base_url: str) -> dict[str, object]:
    """A key frame of the image's stack, as the Note sends it: the default preset's files, alt
    text "<alt> (image k of n)". Its display file is the largest the store keeps of a frame."""
    label = f"image {frame.index + 1} of {frame.total}"
    size = _meta(frame.width, frame.height, frame.width, frame.height)
    return {
        "id": f"i{image.id}f{frame.index}",
        "type": "image",
        "url": _media_url(base_url, frame.media_key, "display", frame.media_type),
        "preview_url": _media_url(base_url, frame.media_key, "thumb", frame.media_type),
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": size,
        "description": f"{image.alt_text} ({label})" if image.alt_text else label.capitalize(),
        "blurhash": None,
    }


def media_json(
    images: list[CaseImage], key_frames: Mapping[int, list[KeyFrame]], base_url: str
) -> list[dict[str, object]]:
    """A case's media attachments: each image, or for a DICOM series its stack's key frames
    (bounded like the Note's, never every frame)."""
    out: list[dict[str, object]] = []
    for image in images:
        if not image.media_key:
            continue
        frames = key_frames.get(image.id)
        if frames:
            out.extend(key_frame_json(image, frame, base_url) for frame in frames)
        else:
            out.append(attachment_json(image, base_url))
    return out


def _paragraphs(text: str) -> str:
    # Local captions and comments are plain text: escaping is the sanitization.
    blocks = [block.strip() for block in text.replace("\r", "").split("\n\n") if block.strip()]
    return "".join(f"<p>{escape(block).replace(chr(10), '<br>')}</p>" for block in blocks)


@dataclass
class Interactions:
    favourited: set[int] = field(default_factory=set)
    favourite_counts: dict[int, int] = field(default_factory=dict)


def case_status_json(
    listing: CaseListing,
    account_json: dict[str, object],
    base_url: str,
    interactions: Interactions,
    *,
    show_review: bool,
    consent_on_file: bool | None = None,
    key_frames: Mapping[int, list[KeyFrame]] | None = None,
) -> dict[str, object]:
    """``key_frames``: case image id -> its stack's key frames (``dicom_repo.key_frames_of``)."""
    case: Case = listing.case
    body: dict[str, object] = {
        "id": case_status_id(case.id),
        "created_at": iso(case.published_at or case.submitted_at or case.created_at),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": bool(case.sensitive or case.content_warning),
        "spoiler_text": case.content_warning,
        "visibility": OUR_TO_MASTODON_VISIBILITY.get(case.visibility, "private"),
        "language": None,
        "uri": case.ap_id,
        "url": case.ap_id if not case.is_local else f"{base_url}/cases/{case.public_id}",
        "replies_count": listing.comment_count,
        "reblogs_count": 0,
        "favourites_count": interactions.favourite_counts.get(case.id, 0),
        "edited_at": None,
        "favourited": case.id in interactions.favourited,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        # Remote captions are stored as plain text (sanitized on arrival): rendered like ours.
        "content": _paragraphs(case.caption),
        "filtered": [],
        "reblog": None,
        "application": None,
        "account": account_json,
        "media_attachments": media_json(listing.images, key_frames or {}, base_url),
        "mentions": [],
        "tags": [{"name": tag.tag, "url": f"{base_url}/tags/{tag.tag}"} for tag in listing.tags],
        "emojis": [],
        "card": None,
        "poll": None,
    }
    extension: dict[str, object] = {
        "case_id": case.public_id,
        "specialties": [t.tag for t in listing.tags if t.is_specialty],
    }
    if show_review:
        extension["review_state"] = case.state
        if consent_on_file is not None:
            extension["consent_on_file"] = consent_on_file
        if case.state in (CaseState.REJECTED, CaseState.CHANGES_REQUESTED):
            extension["review_note"] = case.review_note
    body["fediverse_cases"] = extension
    return body


def comment_status_json(
    comment: Comment,
    case: Case,
    parent: Comment | None,
    account_json: dict[str, object],
    case_author_id: int,
    base_url: str,
    replied_to: dict[str, object] | None = None,
) -> dict[str, object]:
    """``replied_to``: the account JSON of the author this reply answers (its mention)."""
    content = (
        comment.content_html
        if (not comment.is_local and comment.content_html)
        else _paragraphs(comment.content)
    )
    return {
        "id": comment_status_id(comment.id),
        "created_at": iso(comment.created_at),
        "in_reply_to_id": comment_status_id(parent.id) if parent else case_status_id(case.id),
        "in_reply_to_account_id": str(parent.author_actor_id if parent else case_author_id),
        "sensitive": False,
        "spoiler_text": "",
        "visibility": OUR_TO_MASTODON_VISIBILITY.get(case.visibility, "private"),
        "language": None,
        "uri": comment.ap_id,
        "url": comment.ap_id,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": iso(comment.edited_at),
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "content": content,
        "filtered": [],
        "reblog": None,
        "application": None,
        "account": account_json,
        "media_attachments": [],
        "mentions": [_mention(replied_to)]
        if replied_to and replied_to.get("id") != account_json.get("id")
        else [],
        "tags": [{"name": tag, "url": f"{base_url}/tags/{tag}"} for tag in hashtags_in(comment.content)],
        "emojis": [],
        "card": None,
        "poll": None,
        # Our extension: a reply whose text may identify a patient waits for the reviewer.
        "fediverse_cases": {"held_for_review": comment.state == "held"},
    }


def _mention(account: dict[str, object]) -> dict[str, object]:
    return {key: account.get(key) for key in ("id", "username", "url", "acct")}


def notification_json(
    notification: Notification, account_json: dict[str, object] | None, status: dict[str, object] | None
) -> dict[str, object]:
    return {
        "id": str(notification.id),
        "type": notification_type(notification.kind),
        "created_at": iso(notification.created_at),
        "account": account_json,
        "status": status,
        "fediverse_cases": {
            "kind": notification.kind,
            "message": notification.message,
            "read": notification.read,
        },
    }
