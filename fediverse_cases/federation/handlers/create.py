"""Create(Note): a case from a followed remote clinician, or a comment on a case.

Trust: the HTTP signature proves who delivered the activity. When the deliverer is not the
author (a forwarded reply), the author's own integrity proof must verify with the author's
Ed25519 key, or the Note is refetched from its origin and the fetched copy is used. Comments are
accepted only from verified professionals (their allowed home instance claims it, or an admin
vouched for the actor or for every account of that peer); others are dropped with a log line.
A Create for a tombstoned id is ignored (a Delete may arrive before its Create). Missing parents
are fetched from their origin, at most ``MAX_DEPTH`` levels up.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import VocabularyError
from fediverse_cases.activitypub.objects import Note
from fediverse_cases.convert import case_from_note, comment_from_note
from fediverse_cases.convert.pages import page_from_note, page_marker
from fediverse_cases.core.comment_review import findings_json, hold_decision
from fediverse_cases.crypto.integrity_proofs import ProofError, verify_object
from fediverse_cases.deidentify import scan_text
from fediverse_cases.federation import groups as group_federation
from fediverse_cases.federation import remote_media, remote_stack, threads
from fediverse_cases.federation.dereference import fetch_document, get_or_fetch_actor
from fediverse_cases.federation.handlers.context import Dropped, InboxContext
from fediverse_cases.federation.handlers.page import is_page_request, receive_page, receive_page_request
from fediverse_cases.federation.handlers.remote_text import hold_if_identifying, remote_texts
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Case, CaseTag, Comment
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories import peers as peers_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo
from fediverse_cases.storage.repositories import tombstones as tombstones_repo
from fediverse_cases.storage.repositories.cases import add_notification
from fediverse_cases.storage.repositories.comments import mark_held

log = logging.getLogger(__name__)

MAX_DEPTH = 3


def host_of(iri: str) -> str:
    return urlsplit(iri).netloc.lower()


def proof_is_valid(document: dict[str, Any], author: Actor) -> bool:
    """The author's own eddsa-jcs-2022 proof over ``document`` verifies."""
    if not author.ed25519_public_multibase or "proof" not in document:
        return False
    try:
        verify_object(document, author.ed25519_public_multibase)
    except (ProofError, ValueError) as error:
        log.info("integrity proof of %s rejected: %s", document.get("id"), error)
        return False
    proof = document.get("proof")
    method = proof.get("verificationMethod", "") if isinstance(proof, dict) else ""
    return host_of(method) == host_of(author.uri)


async def author_of(db: AsyncSession, state: FederationState, uri: str) -> Actor:
    return await get_or_fetch_actor(db, state, uri)


async def fetch_note(state: FederationState, iri: str) -> dict[str, Any]:
    """A Note fetched from its own origin (the guarded client enforces the allow-list)."""
    document = await fetch_document(state, iri)
    if not isinstance(document, dict) or document.get("id") != iri:
        raise VocabularyError("fetched document is not the requested object")
    return document


async def trusted_note(ctx: InboxContext) -> dict[str, Any] | None:
    """The Note this Create carries, as far as we can trust it; None to drop the activity."""
    activity = ctx.activity
    raw = activity.get("object")
    actor_uri = activity.get("actor")
    if not isinstance(actor_uri, str):
        return None
    object_id = raw.get("id") if isinstance(raw, dict) else raw if isinstance(raw, str) else None
    if not isinstance(object_id, str) or host_of(object_id) != host_of(actor_uri):
        log.info("dropping Create %s: object not on the actor's host", activity.get("id"))
        return None
    delivered_by_author = not ctx.forwarded and ctx.signer.uri == actor_uri
    if isinstance(raw, dict) and delivered_by_author:
        return raw
    if isinstance(raw, dict):
        author = await author_of(ctx.db, ctx.state, actor_uri)
        if proof_is_valid(activity, author):
            return raw
        log.info("forwarded Create %s has no valid proof by its author: refetching", activity.get("id"))
    try:
        return await fetch_note(ctx.state, object_id)
    except Exception as error:
        log.warning("dropping Create %s: refetch of %s failed: %s", activity.get("id"), object_id, error)
        return None


async def may_comment(db: AsyncSession, actor: Actor) -> bool:
    """Verified at an allowed home instance, or vouched for (the actor or its whole peer)."""
    peer = await peers_repo.get_peer(db, actor.host)
    if peer is None or peer.state != "allowed":
        return False
    return actor.verified_professional or actor.vouched or peer.vouch_professionals


def _notify(db: AsyncSession, account_id: int | None, kind: str, case: Case, message: str) -> None:
    if account_id is not None:
        add_notification(db, account_id=account_id, kind=kind, case_id=case.id, message=message)


async def store_remote_case(
    db: AsyncSession, state: FederationState, note: dict[str, Any], author: Actor, *, requested: bool = False
) -> Case | None:
    """Keep a remote case (None when already held). ``requested``: a member asked for it by
    its id or URL (search), which counts as interest like following its author."""
    if await cases_repo.get_case_by_ap_id(db, note["id"]):
        return None  # a duplicate, not a drop
    if await tombstones_repo.is_tombstoned(db, note["id"]):
        raise Dropped("deleted earlier", note["id"])
    if not requested and not await follows_repo.followed_by_local(db, author.id):
        raise Dropped("post by someone nobody here follows", note["id"])
    if not note.get("attachment"):
        # A case is 1-10 de-identified images; a case-sharing hospital does not keep chatter.
        raise Dropped("text-only post: not a case", note["id"])
    try:
        remote = case_from_note(note, author.followers_url or None)
    except VocabularyError as error:
        raise Dropped("post not understood as a case", f"{note.get('id')}: {error}") from None
    if remote.author_uri != author.uri:
        raise Dropped("author mismatch", note["id"])
    prepared = await remote_media.prepare_remote_images(state, remote.images)
    if not prepared:
        raise Dropped("no image survived de-identification", remote.ap_id)
    now = utcnow()
    case = Case(
        public_id=secrets.token_hex(10),
        ap_id=remote.ap_id,
        author_actor_id=author.id,
        is_local=False,
        state="published",
        visibility=remote.visibility,
        title=remote.title,
        caption=remote.caption,
        content_warning=remote.content_warning,
        sensitive=remote.sensitive,
        search_text=" ".join([remote.title, remote.caption, *remote.tags]),
        published_at=remote.published_at or now,
        updated_at=remote.updated_at,
    )
    db.add(case)
    await db.flush()
    for tag in remote.tags:
        db.add(CaseTag(case_id=case.id, tag=tag, is_specialty=False))
    remote_media.store_prepared(db, state, case, prepared)
    hold_if_identifying(db, case, remote_texts(remote), author.host)
    if remote_stack.stack_links(note):
        # The whole stack is fetched by a de-identification worker, never in the inbox: the case
        # shows its key frames until then.
        remote_stack.queue_fetch(db, case)
    await db.flush()
    log.info("stored remote case %s with %d image(s)", remote.ap_id, len(prepared))
    return case


async def resolve_parent(
    db: AsyncSession, state: FederationState, iri: str, depth: int
) -> tuple[Case | None, Comment | None]:
    """The case (and parent comment) a reply points at, fetching missing ancestors from origin."""
    case = await cases_repo.get_case_by_ap_id(db, iri)
    if case is not None:
        return case, None
    comment = await comments_repo.get_comment_by_ap_id(db, iri)
    if comment is not None:
        return await db.get(Case, comment.case_id), comment
    if depth >= MAX_DEPTH:
        log.warning("not fetching parent %s: thread deeper than %d fetched levels", iri, MAX_DEPTH)
        return None, None
    if await tombstones_repo.is_tombstoned(db, iri):
        return None, None
    try:
        note = await fetch_note(state, iri)
        parsed = Note.from_json(note)
        author = await author_of(db, state, parsed.attributed_to)
    except Exception as error:
        log.info("cannot fetch missing parent %s: %s", iri, error)
        return None, None
    if host_of(parsed.id) != host_of(author.uri):
        return None, None
    try:
        if parsed.in_reply_to is None:
            return await store_remote_case(db, state, note, author), None
        stored = await store_remote_comment(db, state, note, author, depth + 1)
    except Dropped as dropped:
        log.info("missing parent %s not kept: %s", iri, dropped)
        return None, None
    return (await db.get(Case, stored.case_id), stored) if stored else (None, None)


def hold_if_flagged(
    state: FederationState, comment: Comment, author: Actor, activity: dict[str, Any] | None
) -> bool:
    """A peer's comment whose text the scanner flags (or whose author is new here, when the
    instance holds those) waits for our reviewer; the peer is told nothing it could use to probe
    the scanner. Keeps the activity so approval can forward it unchanged."""
    findings = scan_text(comment.content)
    decision = hold_decision(
        (f.category for f in findings),
        account_since=author.created_at,
        now=utcnow(),
        new_account_days=state.settings.moderation.hold_comments_of_new_accounts_days,
    )
    if decision.hold:
        mark_held(
            comment,
            decision.reason,
            findings_json((f.start, f.end, f.category) for f in findings),
            json.dumps(activity) if activity is not None else "",
        )
        log.info("holding remote comment %s for review: %s", comment.ap_id, decision.reason)
    return decision.hold


async def store_remote_comment(
    db: AsyncSession,
    state: FederationState,
    note: dict[str, Any],
    author: Actor,
    depth: int = 0,
    activity: dict[str, Any] | None = None,
) -> Comment | None:
    if await tombstones_repo.is_tombstoned(db, note["id"]):
        raise Dropped("deleted earlier", note["id"])
    existing = await comments_repo.get_comment_by_ap_id(db, note["id"])
    if existing is not None:
        return existing
    try:
        remote = comment_from_note(note)
    except VocabularyError as error:
        raise Dropped("reply not understood", f"{note.get('id')}: {error}") from None
    if remote.author_uri != author.uri:
        raise Dropped("author mismatch", note["id"])
    if not await may_comment(db, author):
        raise Dropped("comment by someone not a verified or vouched professional", author.uri)
    case, parent = await resolve_parent(db, state, remote.in_reply_to, depth)
    if case is None or case.state != "published":
        raise Dropped("reply to a case not held here", remote.ap_id)
    comment = Comment(
        public_id=secrets.token_urlsafe(12),
        ap_id=remote.ap_id,
        case_id=case.id,
        parent_id=parent.id if parent is not None else None,
        author_actor_id=author.id,
        is_local=False,
        content=remote.content,
        content_html=remote.content_html,
        state="visible",
        created_at=remote.published_at or utcnow(),
        edited_at=remote.updated_at,
    )
    held = hold_if_flagged(state, comment, author, activity)
    db.add(comment)
    await db.flush()
    case_author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    if not held and case_author is not None and case_author.is_local:
        _notify(db, case_author.account_id, "comment", case, f"{author.handle} commented on your case.")
    if not held:
        # A page recipient's comment answers the page (the first answer tells the requester).
        await paging_repo.record_answers(db, comment, author)
    log.info("stored remote comment %s on case %s", remote.ap_id, case.ap_id)
    return comment


async def page_case(ctx: InboxContext, note: dict[str, Any]) -> Case | None:
    """The case a page names, fetched from its origin when not held here yet (a page for a
    member here counts as interest, like a follow); None when it cannot be had."""
    received = page_from_note(note)
    if received is None:
        return None
    case = await cases_repo.get_case_by_ap_id(ctx.db, received.case_uri)
    if case is not None:
        return case
    try:
        document = await fetch_note(ctx.state, received.case_uri)
        case_author = await author_of(ctx.db, ctx.state, Note.from_json(document).attributed_to)
        if host_of(case_author.uri) != host_of(received.case_uri):
            return None
        return await store_remote_case(ctx.db, ctx.state, document, case_author, requested=True)
    except Exception as error:  # the page still reaches people; its link leads to the origin
        log.info("case %s of page %s not fetched: %s", received.case_uri, note.get("id"), error)
        return None


async def handle_create(ctx: InboxContext) -> tuple[Case, dict[str, Any]] | None:
    """Store the case or comment; returns a newly stored case with its Note (for the backfill)."""
    note = await trusted_note(ctx)
    if note is None or note.get("type") != "Note":
        return None
    author = await author_of(ctx.db, ctx.state, ctx.activity["actor"])
    if page_marker(note) is not None:
        if not await may_comment(ctx.db, author):
            raise Dropped("page by someone not a verified or vouched professional", author.uri)
        if await is_page_request(ctx.db, note):
            await receive_page_request(ctx, note, author, lambda: page_case(ctx, note))
        else:
            await receive_page(ctx, note, author, lambda: page_case(ctx, note))
        return None
    # Addressed to groups we host, by a member they admit: kept here and announced to members.
    posting = await group_federation.admitted_groups(ctx.db, {**ctx.activity, "object": note}, author)
    if note.get("inReplyTo"):
        existed = await comments_repo.get_comment_by_ap_id(ctx.db, note["id"]) is not None
        comment = await store_remote_comment(ctx.db, ctx.state, note, author, activity=ctx.activity)
        if comment is not None and not existed and comment.state == "visible":
            case = await ctx.db.get(Case, comment.case_id)
            if case is not None and case.is_local:
                await threads.forward_reply(ctx.db, ctx.state, case, ctx.activity, author)
        if comment is not None and not existed and posting:
            await group_federation.relay(ctx.db, ctx.state, ctx.activity, posting, comment=comment)
        return None
    # A post a group relayed, or one addressed to a group here, counts as interest like a follow.
    interest = bool(posting) or ctx.via_group is not None
    case = await store_remote_case(ctx.db, ctx.state, note, author, requested=interest)
    if case is not None and posting:
        await group_federation.relay(ctx.db, ctx.state, ctx.activity, posting, case=case)
    return (case, note) if case is not None else None
