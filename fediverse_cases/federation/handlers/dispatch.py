"""The inbox's dispatch table: activity type -> handler, written out so every path is visible."""

from __future__ import annotations

from fediverse_cases.federation.handlers import delete, flag, follow, like, question, quote, undo
from fediverse_cases.federation.handlers.context import Handler, InboxContext

HANDLERS: dict[str, Handler] = {
    "Follow": follow.handle_follow,
    "Accept": follow.handle_accept,
    "Reject": follow.handle_reject,
    # Questions (polls) and votes first; every other Create/Update falls through to the Note handlers.
    "Create": question.handle_create,
    "Update": question.handle_update,
    "Delete": delete.handle_delete,
    "Like": like.handle_like,
    "Flag": flag.handle_flag,
    "Undo": undo.handle_undo,
    "QuoteRequest": quote.handle_quote_request,
}


async def dispatch(ctx: InboxContext) -> bool:
    """Run the handler for the activity's type; False when there is none (ignored)."""
    kind = ctx.activity.get("type")
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return False
    await handler(ctx)
    return True
