"""The inbox's dispatch table: activity type -> handler, written out so every path is visible."""

from __future__ import annotations

from fediverse_cases.federation import groups as group_federation
from fediverse_cases.federation import page_seen
from fediverse_cases.federation.handlers import announce, delete, flag, follow, like, outcome, quote, undo
from fediverse_cases.federation.handlers.context import Handler, InboxContext


async def _announce(ctx: InboxContext) -> None:
    """A group's Announce: the embedded activity goes through this same table (forwarded)."""
    inner = await announce.unwrap(ctx)
    await dispatch(inner)
    await announce.record(ctx, inner)


async def _update(ctx: InboxContext) -> None:
    await _relayed(outcome.handle_update, ctx)


async def _delete(ctx: InboxContext) -> None:
    await _relayed(delete.handle_delete, ctx)


async def _relayed(handler: Handler, ctx: InboxContext) -> None:
    """An author's Update/Delete of a post one of our groups announced: once accepted here, the
    group relays it to its members (groups are looked up first: a Delete purges the post)."""
    groups = await group_federation.announcing_groups(ctx.db, ctx.object_iri) if ctx.via_group is None else []
    await handler(ctx)
    if groups:
        await group_federation.relay_change(ctx.db, ctx.state, ctx.activity, groups)


HANDLERS: dict[str, Handler] = {
    "Follow": follow.handle_follow,
    "Accept": follow.handle_accept,
    "Reject": follow.handle_reject,
    # Outcome wraps question (polls, votes), which falls through to the Note handlers in
    # create/update: outcome -> question -> create|update.
    "Create": outcome.handle_create,
    "Update": _update,
    "Delete": _delete,
    "Like": like.handle_like,
    "Flag": flag.handle_flag,
    "Undo": undo.handle_undo,
    "QuoteRequest": quote.handle_quote_request,
    # A recipient elsewhere saw a page requested here.
    "View": page_seen.handle_view,
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
