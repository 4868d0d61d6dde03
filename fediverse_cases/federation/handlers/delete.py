"""Delete of a Note (case or comment), usually with a Tombstone object.

A deleted remote case is purged here: its cached image files, tags, likes, flags and comments,
and the case row itself; the id is remembered as a tombstone so a late (or replayed) Create
cannot bring it back. Only the object's author may delete a known object (checked before the
tombstone is written); an unknown id is tombstoned on the word of an actor of its own host; a forwarded Delete needs the
author's integrity proof, or our own refetch must confirm the object is gone (404/410).
When the deleted comment belongs to one of our cases, the Delete is forwarded to its audience.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.federation import remote_media, threads
from fediverse_cases.federation.handlers.context import InboxContext
from fediverse_cases.federation.handlers.create import fetch_note, host_of, proof_is_valid
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo
from fediverse_cases.storage.repositories import tombstones as tombstones_repo
from fediverse_cases.storage.repositories.cases import purge_case_content

log = logging.getLogger(__name__)


def _object_id(activity: dict[str, Any]) -> str | None:
    raw = activity.get("object")
    value = raw.get("id") if isinstance(raw, dict) else raw
    return value if isinstance(value, str) else None


async def _trusted(ctx: InboxContext, object_id: str) -> bool:
    actor_uri = ctx.activity.get("actor")
    if not isinstance(actor_uri, str) or host_of(object_id) != host_of(actor_uri):
        return False
    if not ctx.forwarded and ctx.signer.uri == actor_uri:
        return True
    from fediverse_cases.federation.handlers.create import author_of

    if proof_is_valid(ctx.activity, await author_of(ctx.db, ctx.state, actor_uri)):
        return True
    try:
        await fetch_note(ctx.state, object_id)
    except Exception as error:  # gone at its origin (or unreachable): only "gone" counts
        return "404" in str(error) or "410" in str(error)
    return False


async def purge_remote_case(db: AsyncSession, state: FederationState, case: Case) -> None:
    keys = await cases_repo.image_keys(db, case.id)
    await purge_case_content(db, case.id)
    await db.delete(case)
    await db.flush()
    remote_media.delete_cached_media(state, keys)
    log.info("purged remote case %s (%d cached image(s))", case.ap_id, len(keys))


async def handle_delete(ctx: InboxContext) -> None:
    object_id = _object_id(ctx.activity)
    if object_id is None or not await _trusted(ctx, object_id):
        log.info("ignoring untrusted Delete %s", ctx.activity.get("id"))
        return
    db, actor_uri = ctx.db, ctx.activity["actor"]
    if object_id == actor_uri:
        return  # an account deletion: the plumbing's actor handling owns that
    case = await cases_repo.get_case_by_ap_id(db, object_id)
    comment = None if case is not None else await comments_repo.get_comment_by_ap_id(db, object_id)
    known = case or comment
    if known is None:
        # Delete before Create: remember it, so the late Create is ignored.
        await tombstones_repo.remember_tombstone(db, object_id, "Note", host_of(object_id))
        return
    if known.is_local:
        return
    author = await remote_actors_repo.get_actor(db, known.author_actor_id)
    if author is None or author.uri != actor_uri:
        # Checked before the tombstone is written: a same-host account must not be able to
        # delete, or pre-emptively block, someone else's object.
        log.info("refusing Delete of %s by %s: not its author", object_id, actor_uri)
        return
    await tombstones_repo.remember_tombstone(db, object_id, "Note", host_of(object_id))
    if case is not None:
        await purge_remote_case(db, ctx.state, case)
        return
    assert comment is not None
    comment.state = "deleted"
    comment.content = ""
    comment.content_html = ""
    await db.flush()
    home = await db.get(Case, comment.case_id)
    if home is not None and home.is_local:
        await threads.forward_reply(db, ctx.state, home, ctx.activity, author)
