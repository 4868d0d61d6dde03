"""The inbox's dispatch table: activity type -> handler, written out so every path is visible."""

from __future__ import annotations

from fediverse_cases.federation.handlers import announce, delete, flag, follow, like, outcome, quote, undo
from fediverse_cases.federation.handlers.context import Handler, InboxContext


async def _announce(ctx: InboxContext) -> None:
    """A group's Announce: the embedded activity goes through this same table (forwarded)."""
    inner = await announce.unwrap(ctx)
    await dispatch(inner)
    await announce.record(ctx, inner)


HANDLERS: dict[str, Handler] = {
    "Follow": follow.handle_follow,
    "Accept": follow.handle_accept,
    "Reject": follow.handle_reject,
    # Outcome wraps question (polls, votes), which falls through to the Note handlers in
    # create/update: outcome -> question -> create|update.
    "Create": outcome.handle_create,
    "Update": outcome.handle_update,
    "Delete": delete.handle_delete,
    "Like": like.handle_like,
    "Flag": flag.handle_flag,
    "Undo": undo.handle_undo,
    "QuoteRequest": quote.handle_quote_request,
    # A group relays its members' posts (FEP-1b12); other boosts are not kept.
    "Announce": _announce,
}


async def dispatch(ctx: InboxContext) -> bool:
    """Run the handler for the activity's type; False when there is none (ignored)."""
    kind = ctx.activity.get("type")
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return False
    await handler(ctx)
    return True
