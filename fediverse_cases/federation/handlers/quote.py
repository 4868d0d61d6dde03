"""QuoteRequest (Mastodon 4.5): nobody quotes a clinical case. The author's instance answers
every request with Reject, as the case's ``interactionPolicy`` already says, so the asking
server shows a clear refusal instead of waiting for an answer that never comes."""

from __future__ import annotations

import uuid

from fediverse_cases.convert.actors import reject_activity
from fediverse_cases.federation import recipients
from fediverse_cases.federation.handlers.context import Ignored, InboxContext
from fediverse_cases.federation.outbox import enqueue
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo


async def handle_quote_request(ctx: InboxContext) -> None:
    case = await cases_repo.get_case_by_ap_id(ctx.db, ctx.object_iri or "")
    if case is None or not case.is_local:
        raise Ignored("quote request for something that is not our case")
    author = await remote_actors_repo.get_actor(ctx.db, case.author_actor_id)
    asker = await ctx.actor()
    assert author is not None
    request = {k: v for k, v in ctx.activity.items() if k not in ("@context", "proof")}
    activity = reject_activity(f"{author.uri}#rejects/{uuid.uuid4().hex}", author.uri, request, asker.uri)
    await enqueue(
        ctx.db, ctx.state, activity=activity, sender=author, inboxes=[recipients.personal_inbox_of(asker)]
    )
