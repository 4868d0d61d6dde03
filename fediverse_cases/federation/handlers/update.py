"""Update(Note): an edited remote case (caption, content warning, tags) or comment.

Only the author may update; forwarded updates need the author's integrity proof, otherwise the
Note is refetched from its origin. Images are not replaced by an Update (a changed image set is
a new case). An Update of an actor refreshes it from its origin.
"""

from __future__ import annotations

import json
import logging

from fediverse_cases.activitypub.base import VocabularyError
from fediverse_cases.convert import case_from_note, comment_from_note
from fediverse_cases.deidentify import scan_text
from fediverse_cases.federation import threads
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.federation.handlers.context import InboxContext
from fediverse_cases.federation.handlers.create import author_of, hold_if_flagged, trusted_note
from fediverse_cases.federation.handlers.remote_text import hold_if_identifying, remote_texts
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories.cases import replace_tags

log = logging.getLogger(__name__)


async def _update_actor(ctx: InboxContext) -> None:
    """Update(Person/Service): refetch the actor from its origin (never trust the embedded copy),
    so a changed verified-professional claim or key takes effect."""
    raw = ctx.activity.get("object")
    if isinstance(raw, dict) and raw.get("id") == ctx.activity.get("actor") == ctx.signer.uri:
        await get_or_fetch_actor(ctx.db, ctx.state, ctx.signer.uri, refresh=True)


async def handle_update(ctx: InboxContext) -> None:
    raw = ctx.activity.get("object")
    if isinstance(raw, dict) and raw.get("type") != "Note":
        await _update_actor(ctx)
        return
    note = await trusted_note(ctx)
    if note is None or note.get("type") != "Note":
        return
    db = ctx.db
    author = await author_of(db, ctx.state, ctx.activity["actor"])
    case = await cases_repo.get_case_by_ap_id(db, note["id"])
    if case is not None and not case.is_local and case.author_actor_id == author.id:
        try:
            remote = case_from_note(note, author.followers_url or None, edit=True)
        except VocabularyError as error:
            log.info("ignoring Update of %s: %s", note["id"], error)
            return
        case.title = remote.title
        case.caption = remote.caption
        case.content_warning = remote.content_warning
        case.sensitive = remote.sensitive
        case.search_text = " ".join([remote.title, remote.caption, *remote.tags])
        hold_if_identifying(db, case, remote_texts(remote), author.host)
        case.updated_at = remote.updated_at or utcnow()
        await replace_tags(db, case.id, [(t, False) for t in remote.tags])
        await db.flush()
        return
    comment = await comments_repo.get_comment_by_ap_id(db, note["id"])
    if (
        comment is None
        or comment.is_local
        or comment.author_actor_id != author.id
        or comment.state == "deleted"
    ):
        return
    try:
        remote_comment = comment_from_note(note)
    except VocabularyError as error:
        log.info("ignoring Update of %s: %s", note["id"], error)
        return
    comment.content = remote_comment.content
    comment.content_html = remote_comment.content_html
    comment.edited_at = remote_comment.updated_at or utcnow()
    if comment.state == "visible" and scan_text(comment.content):
        # An edit that adds identifiers disappears until our reviewer approves it.
        hold_if_flagged(ctx.state, comment, author, ctx.activity)
    elif comment.state == "held":
        comment.held_activity = json.dumps(ctx.activity)  # approval forwards the latest edit
    await db.flush()
    home = await db.get(Case, comment.case_id)
    if comment.state == "visible" and home is not None and home.is_local:
        await threads.forward_reply(db, ctx.state, home, ctx.activity, author)
