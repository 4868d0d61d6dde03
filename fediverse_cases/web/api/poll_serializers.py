"""Mastodon's Poll entity for a case's poll as one viewer sees it. While results are hidden
from the viewer (not voted, not closed), each option's ``votes_count`` is null, as Mastodon does
for polls that hide their totals."""

from __future__ import annotations

from fediverse_cases.services.polls import PollView
from fediverse_cases.web.api.serializers import iso


def poll_json(view: PollView, *, signed_in: bool) -> dict[str, object]:
    body: dict[str, object] = {
        "id": str(view.poll.id),
        "expires_at": iso(view.ends_at),
        "expired": view.closed,
        "multiple": view.multiple,
        "votes_count": view.votes_count,
        "voters_count": view.voters_count,
        "options": [
            {"title": option.title, "votes_count": option.votes if view.results_visible else None}
            for option in view.options
        ],
        "emojis": [],
    }
    if signed_in:
        body["voted"] = view.voted
        body["own_votes"] = view.own_choices
    return body
