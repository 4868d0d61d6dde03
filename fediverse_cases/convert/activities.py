"""Activity envelopes for the content we send: Create/Update/Delete of Notes (Tombstone),
Like and Undo(Like), Flag. Ids follow Mastodon's shapes, derived from the object or actor id so
they stay on our host. Pure: no I/O. The integrity proof is added by the outbox at enqueue.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT
from fediverse_cases.convert.cases import as2_datetime

__all__ = [
    "create_activity",
    "delete_activity",
    "flag_activity",
    "like_activity",
    "undo_activity",
    "update_activity",
]


def _now() -> str:
    return as2_datetime(datetime.now(UTC)) or ""


def _without_context(note: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in note.items() if k != "@context"}


def create_activity(note: dict[str, Any]) -> dict[str, Any]:
    activity = {
        "@context": DEFAULT_CONTEXT,
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": note["attributedTo"],
        "published": note.get("published") or _now(),
        "to": note.get("to", []),
        "cc": note.get("cc", []),
        "object": _without_context(note),
    }
    if note.get("audience"):
        # Posted to a group (FEP-1b12): the activity names the group's audience too, as Lemmy's do.
        activity["audience"] = note["audience"]
    return activity


def update_activity(note: dict[str, Any]) -> dict[str, Any]:
    stamp = _now()
    return {
        "@context": DEFAULT_CONTEXT,
        "id": f"{note['id']}#updates/{stamp}-{secrets.token_hex(4)}",
        "type": "Update",
        "actor": note["attributedTo"],
        "published": stamp,
        "to": note.get("to", []),
        "cc": note.get("cc", []),
        "object": _without_context({**note, "updated": note.get("updated") or stamp}),
    }


def delete_activity(
    object_id: str, actor_uri: str, *, to: list[str], cc: list[str] = (), former_type: str = "Note"
) -> dict[str, Any]:
    """Delete with a Tombstone object (``formerType`` says what it was)."""
    stamp = _now()
    return {
        "@context": DEFAULT_CONTEXT,
        "id": f"{object_id}#delete",
        "type": "Delete",
        "actor": actor_uri,
        "published": stamp,
        "to": list(to),
        "cc": list(cc),
        "object": {"id": object_id, "type": "Tombstone", "formerType": former_type, "deleted": stamp},
    }


def like_activity(like_id: str, actor_uri: str, object_id: str, object_author: str) -> dict[str, Any]:
    return {
        "@context": DEFAULT_CONTEXT,
        "id": like_id,
        "type": "Like",
        "actor": actor_uri,
        "object": object_id,
        "to": [object_author],
    }


def undo_activity(inner: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": DEFAULT_CONTEXT,
        "id": f"{inner['id']}/undo",
        "type": "Undo",
        "actor": inner["actor"],
        "object": _without_context(inner),
        "to": inner.get("to", []),
    }


def flag_activity(
    flag_id: str, instance_actor_uri: str, object_ids: list[str], content: str, to: list[str]
) -> dict[str, Any]:
    """A report, sent by our instance actor (like Mastodon) so the reporter stays anonymous."""
    return {
        "@context": DEFAULT_CONTEXT,
        "id": flag_id,
        "type": "Flag",
        "actor": instance_actor_uri,
        "object": object_ids,
        "content": content,
        "to": to,
    }
