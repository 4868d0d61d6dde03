"""Polls <-> ActivityStreams ``Question``, and votes as Notes, in Mastodon's shape. Pure.

A case carrying a poll is sent as a ``Question`` instead of a ``Note``: every Note property
stays, plus ``oneOf`` (single choice) or ``anyOf`` (several), each option a
``{"type": "Note", "name": ..., "replies": {"type": "Collection", "totalItems": n}}``,
``endTime``, ``closed`` once ended, and ``votersCount``. A vote is a Note with ``name`` = the
chosen option and ``inReplyTo`` = the Question, addressed only to the poll's author (Mastodon
sends one Create per chosen option).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fediverse_cases.activitypub.base import InvalidDocument, id_of
from fediverse_cases.convert.cases import as2_datetime, parse_as2_datetime
from fediverse_cases.core.polls import MAX_OPTIONS, MIN_OPTIONS, OPTION_MAX

__all__ = [
    "RemotePoll",
    "RemoteVote",
    "poll_from_question",
    "question_from_note",
    "vote_from_note",
    "vote_note",
]


def question_from_note(
    note: dict[str, Any],
    options: Sequence[str],
    counts: Sequence[int],
    *,
    multiple: bool,
    end: datetime | None,
    closed: bool,
    voters_count: int,
) -> dict[str, Any]:
    """The case's Note document turned into its Question (a copy; ``note`` is not changed)."""
    choices = [
        {"type": "Note", "name": title, "replies": {"type": "Collection", "totalItems": int(count)}}
        for title, count in zip(options, counts, strict=True)
    ]
    question = {**note, "type": "Question", "anyOf" if multiple else "oneOf": choices}
    question["votersCount"] = voters_count
    if end is not None:
        question["endTime"] = as2_datetime(end)
        if closed:
            question["closed"] = as2_datetime(end)
    return question


@dataclass(frozen=True)
class RemotePoll:
    options: tuple[str, ...]
    counts: tuple[int, ...]
    multiple: bool
    expires_at: datetime | None
    voters_count: int | None


def _count(option: dict[str, Any]) -> int:
    replies = option.get("replies")
    total = replies.get("totalItems") if isinstance(replies, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else 0


def poll_from_question(data: dict[str, Any]) -> RemotePoll:
    """The poll of a received Question; raises InvalidDocument for one we cannot show."""
    multiple = "anyOf" in data and "oneOf" not in data
    raw = data.get("anyOf" if multiple else "oneOf")
    items = raw if isinstance(raw, list) else []
    options: list[str] = []
    counts: list[int] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise InvalidDocument("poll option without a name")
        options.append(item["name"].strip()[:OPTION_MAX])
        counts.append(_count(item))
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise InvalidDocument(f"a poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options")
    end = data.get("endTime") or data.get("closed")
    voters = data.get("votersCount")
    return RemotePoll(
        options=tuple(options),
        counts=tuple(counts),
        multiple=multiple,
        expires_at=parse_as2_datetime(end) if isinstance(end, str) else None,
        voters_count=voters if isinstance(voters, int) and not isinstance(voters, bool) else None,
    )


def vote_note(
    vote_id: str, voter_uri: str, question_id: str, question_author_uri: str, name: str
) -> dict[str, Any]:
    return {
        "id": vote_id,
        "type": "Note",
        "name": name,
        "attributedTo": voter_uri,
        "to": [question_author_uri],
        "inReplyTo": question_id,
    }


@dataclass(frozen=True)
class RemoteVote:
    ap_id: str
    voter_uri: str
    question_id: str
    name: str


def vote_from_note(data: dict[str, Any]) -> RemoteVote | None:
    """The vote a Note carries, or None when the Note is not a vote (no ``name``, or content)."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or data.get("type") != "Note":
        return None
    if isinstance(data.get("content"), str) and data["content"].strip():
        return None  # a reply with a title is a comment, not a vote
    ap_id, voter, target = (
        id_of(data.get("id")),
        id_of(data.get("attributedTo")),
        id_of(data.get("inReplyTo")),
    )
    if not (ap_id and voter and target):
        return None
    return RemoteVote(ap_id=ap_id, voter_uri=voter, question_id=target, name=name.strip())
