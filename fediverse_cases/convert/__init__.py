"""convert: directional converters between stored cases/comments and ActivityStreams Notes.
Nothing else converts. May import core, activitypub and nh3; never storage, quart or httpx.
"""

from __future__ import annotations

from fediverse_cases.convert.cases import RemoteCase, RemoteImage, case_from_note, note_from_case
from fediverse_cases.convert.comments import RemoteComment, comment_from_note, note_from_comment

__all__ = [
    "RemoteCase",
    "RemoteComment",
    "RemoteImage",
    "case_from_note",
    "comment_from_note",
    "note_from_case",
    "note_from_comment",
]
