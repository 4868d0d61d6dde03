"""``Question``: a post carrying a poll, as Mastodon sends it — every Note property plus
``oneOf`` (single choice) or ``anyOf`` (several), ``endTime``, ``closed`` and ``votersCount``.
A subclass of ``Note`` so every rule that applies to a Note (origin, attribution) applies to it.
The options are kept as received (``{"type": "Note", "name", "replies": {"totalItems"}}``);
``convert.polls`` reads them. Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from fediverse_cases.activitypub.base import InvalidDocument, UnsupportedType, get_type, opt_int, opt_str
from fediverse_cases.activitypub.objects import Note

__all__ = ["Question"]


@dataclass(frozen=True)
class Question(Note):
    TYPE: ClassVar[str] = "Question"
    options: tuple[dict[str, Any], ...] = ()
    multiple: bool = False
    end_time: str | None = None
    closed: str | None = None
    voters_count: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        if get_type(data, {"Question"}) != "Question":
            raise UnsupportedType(data.get("type"))
        note = Note.from_json({**data, "type": "Note"})
        multiple = "anyOf" in data and "oneOf" not in data
        raw = data.get("anyOf" if multiple else "oneOf")
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise InvalidDocument("Question without oneOf/anyOf options")
        closed = data.get("closed")
        return cls(
            **{f.name: getattr(note, f.name) for f in fields(Note)},
            options=tuple(raw),
            multiple=multiple,
            end_time=opt_str(data, "endTime"),
            closed=closed if isinstance(closed, str) else None,
            voters_count=opt_int(data, "votersCount"),
        )

    def to_json(self, *, with_context: bool = False) -> dict[str, Any]:
        data = {**super().to_json(with_context=with_context), "type": "Question"}
        data["anyOf" if self.multiple else "oneOf"] = list(self.options)
        for key, value in (
            ("endTime", self.end_time),
            ("closed", self.closed),
            ("votersCount", self.voters_count),
        ):
            if value is not None:
                data[key] = value
        return data
