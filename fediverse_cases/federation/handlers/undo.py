"""Undo: dispatch on the type of the undone object.

The undone object is normally embedded (Mastodon, GoToSocial and Fedify embed it). A bare IRI is
understood when it names a Follow we stored; anything else is ignored.
"""

from __future__ import annotations

from fediverse_cases.federation.handlers import announce, follow, like
from fediverse_cases.federation.handlers.context import Handler, Ignored, InboxContext
from fediverse_cases.storage.repositories import follows as follows_repo

UNDO_HANDLERS: dict[str, Handler] = {
    "Follow": follow.handle_undo_follow,
    "Like": like.handle_undo_like,
    "Announce": announce.handle_undo_announce,
}


async def handle_undo(ctx: InboxContext) -> None:
    obj = ctx.activity.get("object")
    kind = obj.get("type") if isinstance(obj, dict) else None
    if (
        kind is None
        and isinstance(obj, str)
        and await follows_repo.get_follow_by_activity(ctx.db, obj) is not None
    ):
        kind = "Follow"
    handler = UNDO_HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise Ignored(f"Undo of {kind or 'an unknown object'} is not handled")
    await handler(ctx)
