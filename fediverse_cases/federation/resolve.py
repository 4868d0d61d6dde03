"""Finding a status by its ActivityPub id or its web URL, for ``/api/v2/search?resolve=true``.

Ours are looked up in the database (by id, or by the ``/cases/<id>`` / ``/comments/<id>`` page
URL). A remote one already held is returned as it is; otherwise it is fetched through the
guarded client (allowed peers only, signed as the instance actor, so a later withdrawal reaches
us too) and kept under the same rules as a delivered one — a case is de-identified again and
its conversation backfilled (FEP-7888), a comment needs a verified or vouched author — except
that a member asking for a case counts as interest in it, as a follow would.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.objects import Note
from fediverse_cases.federation.dereference import fetch_document, is_local
from fediverse_cases.federation.handlers.context import Dropped
from fediverse_cases.federation.handlers.context_backfill import backfill_context
from fediverse_cases.federation.handlers.create import (
    author_of,
    fetch_note,
    host_of,
    store_remote_case,
    store_remote_comment,
)
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Case, Comment
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import comments as comments_repo

log = logging.getLogger(__name__)

_LOCAL_PAGE = re.compile(r"^/(?P<kind>cases|comments)/(?P<public_id>[A-Za-z0-9_-]{1,40})/?$")


def looks_like_status_iri(query: str) -> bool:
    parts = urlsplit(query)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in query


async def _held(db: AsyncSession, iri: str) -> Case | Comment | None:
    case = await cases_repo.get_case_by_ap_id(db, iri)
    if case is not None:
        return case
    return await comments_repo.get_comment_by_ap_id(db, iri)


async def _local(db: AsyncSession, iri: str) -> Case | Comment | None:
    held = await _held(db, iri)
    if held is not None:
        return held
    match = _LOCAL_PAGE.match(urlsplit(iri).path)
    if match is None:
        return None
    if match["kind"] == "cases":
        return await cases_repo.get_case_by_public_id(db, match["public_id"])
    return await comments_repo.get_comment_by_public_id(db, match["public_id"])


async def find_held(db: AsyncSession, state: FederationState, iri: str) -> Case | Comment | None:
    """The case or comment ``iri`` names among what this instance holds (no fetch)."""
    return await _local(db, iri) if is_local(state, iri) else await _held(db, iri)


async def resolve_status(db: AsyncSession, state: FederationState, iri: str) -> Case | Comment | None:
    """The case or comment ``iri`` names (id or URL), fetched and kept when remote; None when
    it is unknown, refused by the allow-list, unreachable, or not kept by our rules."""
    if is_local(state, iri):
        return await _local(db, iri)
    held = await _held(db, iri)
    if held is not None:
        return held
    try:
        document = await fetch_document(state, iri)
        object_id = document.get("id")
        if not isinstance(object_id, str) or host_of(object_id) != host_of(iri):
            return None
        if object_id != iri:
            # A URL (a web page address) answered with the object: its id is the authority.
            held = await _held(db, object_id)
            if held is not None:
                return held
            document = await fetch_note(state, object_id)
        if document.get("type") != "Note":
            return None
        parsed = Note.from_json(document)
        author = await author_of(db, state, parsed.attributed_to)
    except Exception as error:  # refused, unreachable, or not an object we understand
        log.info("search could not resolve %s: %s", iri, error)
        return None
    if host_of(author.uri) != host_of(parsed.id):
        return None
    try:
        if parsed.in_reply_to is not None:
            return await store_remote_comment(db, state, document, author)
        case = await store_remote_case(db, state, document, author, requested=True)
    except Dropped as dropped:
        log.info("search resolved %s but did not keep it: %s", iri, dropped)
        return None
    if case is None:
        return await _held(db, parsed.id)
    await backfill_context(db, state, case, document)
    return case
