"""Which Mastodon notification type each of our notification kinds is shown as (client API,
Web Push payloads and push alerts). Pure data and one function."""

from __future__ import annotations

NOTIFICATION_TYPES = {
    "comment": "mention",
    "reply": "mention",
    "follow": "follow",
    "like": "favourite",
    "case_approved": "status",
    "case_rejected": "fediverse_cases.case_rejected",
    "case_changes_requested": "fediverse_cases.case_changes_requested",
    "flag": "admin.report",
    "comment_rejected": "fediverse_cases.comment_rejected",
    # A page names the person it is for, with the case as its status: a mention in every client.
    "page": "mention",
    "page_answered": "mention",
}


def notification_type(kind: str) -> str:
    """Mastodon's type, or ``fediverse_cases.<kind>`` for kinds Mastodon has no word for."""
    return NOTIFICATION_TYPES.get(kind, f"fediverse_cases.{kind}")
