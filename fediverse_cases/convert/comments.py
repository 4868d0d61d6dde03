"""Comments <-> reply Notes. Pure: no I/O, no database, no framework.

A comment is a Note whose ``inReplyTo`` is the case's (or the parent comment's) id. It is
addressed to the case author (in ``to`` and as a Mention tag) so Mastodon and other servers that
drop posts unrelated to their users still accept it; Public is added only for public cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fediverse_cases.activitypub.base import InvalidDocument
from fediverse_cases.activitypub.constants import PUBLIC
from fediverse_cases.activitypub.objects import Mention, Note
from fediverse_cases.convert.cases import as2_datetime, parse_as2_datetime
from fediverse_cases.convert.html import html_to_text, sanitize_html, text_to_html
from fediverse_cases.convert.shapes import ActorLike, CommentLike
from fediverse_cases.core.urls import LocalUrls

__all__ = ["MAX_COMMENT_CHARS", "RemoteComment", "comment_from_note", "note_from_comment"]

MAX_COMMENT_CHARS = 5000


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return tuple(out)


def note_from_comment(
    comment: CommentLike,
    author_actor: ActorLike,
    *,
    case_ap_id: str,
    case_public: bool,
    case_author: ActorLike,
    urls: LocalUrls,
    parent_ap_id: str | None = None,
    parent_author_uri: str | None = None,
    context: str | None = None,
) -> dict:
    """The Note for a local comment on any case (local or remote); ``context`` is the case's
    FEP-7888 conversation when we know it (our own cases)."""
    if comment.state == "deleted":
        raise ValueError("a deleted comment has no Note")
    mentioned = _unique([case_author.uri, parent_author_uri or ""])
    mentioned = tuple(m for m in mentioned if m != author_actor.uri) or (case_author.uri,)
    to = _unique([*([PUBLIC] if case_public else []), *mentioned])
    cc = tuple(c for c in _unique([author_actor.followers_url]) if c not in to)
    tags = tuple(
        Mention(
            href=uri, name=f"@{case_author.username}@{case_author.host}" if uri == case_author.uri else None
        )
        for uri in mentioned
    )
    note = Note(
        id=comment.ap_id,
        attributed_to=author_actor.uri,
        content=text_to_html(comment.content),
        to=to,
        cc=cc,
        published=as2_datetime(comment.created_at),
        updated=as2_datetime(comment.edited_at),
        in_reply_to=parent_ap_id or case_ap_id,
        url=urls.comment(comment.public_id),
        tags=tags,
    )
    document = note.to_json(with_context=True)
    if context:
        document["context"] = context
    return document


@dataclass(frozen=True)
class RemoteComment:
    ap_id: str
    author_uri: str
    in_reply_to: str
    content: str  # plain text
    content_html: str  # sanitized
    published_at: datetime | None
    updated_at: datetime | None
    is_public: bool


def comment_from_note(value: dict | Note) -> RemoteComment:
    """A remote reply Note as a comment; raises InvalidDocument when it replies to nothing or is empty."""
    note = value if isinstance(value, Note) else Note.from_json(value)
    if not note.in_reply_to:
        raise InvalidDocument("a comment must reply to a case or a comment")
    safe = sanitize_html(note.content)
    text = html_to_text(safe)
    if not text.strip():
        raise InvalidDocument("empty comment")
    return RemoteComment(
        ap_id=note.id,
        author_uri=note.attributed_to,
        in_reply_to=note.in_reply_to,
        content=text[:MAX_COMMENT_CHARS],
        content_html=safe,
        published_at=parse_as2_datetime(note.published),
        updated_at=parse_as2_datetime(note.updated),
        is_public=PUBLIC in note.to or PUBLIC in note.cc,
    )
