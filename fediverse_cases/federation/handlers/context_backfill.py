"""FEP-7888 backfill: a remote case's ``context`` names its conversation at the case's home; when
the case arrives (or a member resolves it), and when a member opens it (at most every
``REFRESH_SECONDS``), the replies we do not hold yet are fetched from there.

Bounded: one collection and at most ``MAX_PAGES`` pages of it, at most ``MAX_ITEMS`` items, each
fetched from its own origin through the guarded client (so only from allowed peers), and each
reply passes the same rules as a delivered one (verified professionals only, scanner holds,
tombstones, missing parents fetched ``MAX_DEPTH`` levels up). A context on another host than the
case is ignored: only the case's home speaks for its thread.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.objects import Note
from fediverse_cases.federation.dereference import fetch_document
from fediverse_cases.federation.handlers.context import Dropped, InboxContext
from fediverse_cases.federation.handlers.create import (
    author_of,
    fetch_note,
    handle_create,
    host_of,
    store_remote_comment,
)
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories import tombstones as tombstones_repo

log = logging.getLogger(__name__)

MAX_ITEMS = 40
MAX_PAGES = 3
# Opening a remote case refreshes its conversation at most this often (per process).
REFRESH_SECONDS = 600.0


@dataclass
class Backfill:
    """What one backfill did (for logs, the benchmark and tests)."""

    listed: int = 0
    stored: int = 0
    skipped: int = 0


def _iri(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


async def _context_items(state: FederationState, context_iri: str) -> list[str]:
    """Ids listed in the context collection, following ``first`` then ``next`` for a few pages."""
    document = await fetch_document(state, context_iri)
    items: list[str] = []
    page = document
    for pages in range(1, MAX_PAGES + 1):
        for item in page.get("orderedItems") or page.get("items") or []:
            iri = _iri(item)
            if iri is not None and iri not in items:
                items.append(iri)
        if pages == MAX_PAGES or len(items) >= MAX_ITEMS:
            break
        following = page.get("first") if page is document else page.get("next")
        if isinstance(following, dict):
            page = following
        elif isinstance(following, str):
            page = await fetch_document(state, following)
        else:
            break
    return items[:MAX_ITEMS]


async def backfill_context(
    db: AsyncSession, state: FederationState, case: Case, note: dict[str, Any]
) -> Backfill:
    """Fetch the replies of ``case`` (a remote case just stored, ``note`` its Note) that its
    home's conversation lists and we lack."""
    result = Backfill()
    context_iri = _iri(note.get("context"))
    if context_iri is None or host_of(context_iri) != host_of(case.ap_id):
        return result
    try:
        items = await _context_items(state, context_iri)
    except Exception as error:  # any fetch or shape failure: the case stays, without backfill
        log.info("context %s of %s not fetched: %s", context_iri, case.ap_id, error)
        return result
    result.listed = len(items)
    for iri in items:
        if iri == case.ap_id or await comments_repo.get_comment_by_ap_id(db, iri) is not None:
            continue
        if await tombstones_repo.is_tombstoned(db, iri):
            result.skipped += 1
            continue
        try:
            reply = await fetch_note(state, iri)
            parsed = Note.from_json(reply)
            author = await author_of(db, state, parsed.attributed_to)
        except Exception as error:  # unreachable, refused by the allow-list, or not a Note
            log.info("context item %s of %s not fetched: %s", iri, case.ap_id, error)
            result.skipped += 1
            continue
        if parsed.in_reply_to is None or host_of(iri) != host_of(author.uri):
            result.skipped += 1
            continue
        try:
            stored = await store_remote_comment(db, state, reply, author)
        except Dropped as dropped:
            log.info("context item %s not kept: %s", iri, dropped)
            result.skipped += 1
            continue
        if stored is not None and stored.case_id == case.id:
            result.stored += 1
    log.info(
        "backfilled %s from %s: %d listed, %d stored, %d skipped",
        case.ap_id,
        context_iri,
        result.listed,
        result.stored,
        result.skipped,
    )
    return result


def due_for_refresh(state: FederationState, case: Case) -> bool:
    """Whether opening ``case`` should refresh its conversation now (a remote published case not
    refreshed by this process in the last ``REFRESH_SECONDS``); marks it refreshed if so."""
    if case.is_local or case.state != "published":
        return False
    now = time.monotonic()
    if now - state.conversations_refreshed.get(case.id, -REFRESH_SECONDS) < REFRESH_SECONDS:
        return False
    state.conversations_refreshed[case.id] = now
    return True


async def refresh_when_opened(state: FederationState, case_id: int) -> Backfill:
    """A member opened a remote case: read its Note again from its home and backfill the
    replies its conversation lists that we lack (run after the page is answered)."""
    try:
        async with state.transaction() as db:
            case = await db.get(Case, case_id)
            if case is None or case.is_local:
                return Backfill()
            try:
                note = await fetch_note(state, case.ap_id)
            except Exception as error:  # the home is down or refuses: nothing to refresh
                log.info("conversation of %s not refreshed: %s", case.ap_id, error)
                return Backfill()
            return await backfill_context(db, state, case, note)
    except Exception:  # a background task: log, never raise into the server
        log.exception("refreshing the conversation of case %s failed", case_id)
        return Backfill()


async def handle_create_with_context(ctx: InboxContext) -> None:
    """Create(Note), then the backfill of a newly stored case's conversation."""
    stored = await handle_create(ctx)
    if stored is not None:
        case, note = stored
        await backfill_context(ctx.db, ctx.state, case, note)
