"""A page from a member of a group at another hospital (a Note carrying
``fediverseCases:page``): the local members it mentions are told, as a "page" notification
(web UI, client API, Web Push with high urgency).

Checks, beyond those of every Create (signature, the Note on its author's host, its proof when
forwarded): the author is a verified professional believed here (as for comments), the group is
a group known here (one a member joined), and each mentioned person is a local member of it.
A page for nobody here keeps nothing and fetches nothing. Only members on call here (toggle
or schedule) are told, unless the page escalated (nobody answered in time): then everyone it
names. A duplicate delivery tells nobody twice. A question our identifier scanner flags is
withheld (the notification says so and links the case). The case is fetched from its origin when we do
not hold it yet (a page counts as interest, like a follow).

A page request (``receive_page_request``): a Note with the marker whose group is a group hosted
here, sent by a member at another hospital. The requester must be a member the group still
admits (``federation.groups.may_post``: membership, professional claim, join rule); then the
group's home fans it out as it does its own members' pages (``federation.paging.relay_request``).
At the members' hospitals such a request arrives announced by the group and names nobody:
every local member of the group on call is told. The requester's hospital escalates such a page
(an escalation request: ``escalated``, ``escalates`` the page): accepted only for a page of this
group we relayed, from the same requester, on its host; every member here not told yet is told
and the request is announced as received; a second one does nothing. Announced, it tells every
local member of the group not told yet.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert.pages import page_from_note
from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.deidentify import scan_text
from fediverse_cases.federation import groups as group_federation
from fediverse_cases.federation import paging as page_federation
from fediverse_cases.federation.handlers.context import Dropped, InboxContext
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Case, Page
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import paging as paging_repo

log = logging.getLogger(__name__)

WITHHELD = "(question withheld here: it may identify a patient; open the case)"


def _same_host(a: str, b: str) -> bool:
    try:
        return host_of(a) == host_of(b)
    except InvalidHost:
        return False


async def receive_page(
    ctx: InboxContext,
    note: dict[str, Any],
    author: Actor,
    load_case: Callable[[], Awaitable[Case | None]],
) -> Page | None:
    """Record the page and tell the local members it is for; None when nobody here is (then
    nothing is kept and the case is not fetched)."""
    received = page_from_note(note)
    if received is None:
        raise Dropped("page not understood", str(note.get("id")))
    if not _same_host(received.ap_id, author.uri):
        raise Dropped("page escalates a page of another host", received.ap_id)
    db = ctx.db
    # Only a group some member here joined is known; nobody here is paged through another.
    group = await account_repo.get_actor_by_uri(db, received.group_uri)
    if group is None or group.actor_type != "Group":
        raise Dropped("page to a group nobody here belongs to", received.group_uri)
    page = await paging_repo.get_page_by_ap_id(db, received.ap_id)
    if page is not None and page.requester_actor_id != author.id:
        raise Dropped("page by someone else", received.ap_id)
    told = await paging_repo.recipient_actor_ids(db, page.id) if page is not None else set()
    mentioned: Sequence[str] = received.mentioned
    if not mentioned and ctx.via_group is not None and ctx.via_group.id == group.id:
        # A page request the group announced: it is for every member of the group here.
        mentioned = [m.uri for _, m in await groups_repo.members(db, group.id) if m.is_local]
    members = await _members_to_tell(
        db, group, mentioned, told, escalated=received.escalated, author_id=author.id
    )
    if not members and page is None:
        log.info("page %s from %s: nobody here on call for it", received.ap_id, author.uri)
        return None
    case = await load_case()
    if page is None:
        # A question our scanner flags is not shown here (nor on lock screens); the case link is.
        question = WITHHELD if scan_text(received.question) else received.question
        page = Page(
            ap_id=received.ap_id,
            is_local=False,
            group_actor_id=group.id,
            requester_actor_id=author.id,
            case_id=case.id if case is not None else None,
            case_ap_id=received.case_uri,
            urgency=received.urgency,
            question=question,
            state="sent",
            sent_at=utcnow(),
        )
        db.add(page)
        await db.flush()
    elif page.case_id is None and case is not None:
        page.case_id = case.id
    if received.escalated and page.escalated_at is None:
        page.escalated_at = utcnow()
    group_name = group.display_name or group.username
    lead = "Escalated page" if received.escalated else "Page"
    message = f"{lead} ({page.urgency}) from {author.handle} to {group_name}: {page.question}"
    added = [
        paging_repo.add_recipient(
            db, page, m, on_call=not received.escalated, message=message, from_actor_id=author.id
        )
        for m in members
    ]
    await paging_repo.link_notifications(db, added)
    log.info("page %s from %s: %d member(s) told here", received.ap_id, author.uri, len(added))
    return page


async def _members_to_tell(
    db: AsyncSession,
    group: Actor,
    mentioned: Sequence[str],
    told: set[int],
    *,
    escalated: bool,
    author_id: int | None = None,
) -> list[Actor]:
    """Mentioned local members of the group not told yet; on call now unless it escalated."""
    members: list[Actor] = []
    for uri in mentioned:
        member = await account_repo.get_actor_by_uri(db, uri)
        if (
            member is not None
            and member.is_local
            and member.account_id is not None
            and member.id not in told
            and member.id != author_id
            and await groups_repo.is_member(db, group.id, member.id)
        ):
            members.append(member)
    if escalated:
        return members
    on_call = await paging_repo.on_call_account_ids(
        db, group.id, [m.account_id for m in members if m.account_id is not None], utcnow()
    )
    return [m for m in members if m.account_id in on_call]


async def is_page_request(db: AsyncSession, note: dict[str, Any]) -> bool:
    """The page Note names a group hosted here: a member elsewhere asks us to fan it out."""
    received = page_from_note(note)
    if received is None:
        return False
    group = await account_repo.get_actor_by_uri(db, received.group_uri)
    return group is not None and group.is_local and group.actor_type == "Group"


async def receive_page_request(
    ctx: InboxContext,
    note: dict[str, Any],
    author: Actor,
    load_case: Callable[[], Awaitable[Case | None]],
) -> Page | None:
    """At the group's home: a member at another hospital pages the group; checked like a group
    post, then sent to the members as a page of ours. A duplicate delivery sends nothing."""
    received = page_from_note(note)
    if received is None:
        raise Dropped("page request not understood", str(note.get("id")))
    db = ctx.db
    group = await account_repo.get_actor_by_uri(db, received.group_uri)
    assert group is not None
    refused = await group_federation.may_post(db, group, author)
    if refused is not None:
        raise Dropped(f"page request refused: {refused}", received.ap_id)
    if received.escalated:
        return await _receive_escalation_request(ctx, received.ap_id, author, group)
    if await paging_repo.get_page_by_ap_id(db, received.ap_id) is not None:
        return None
    # A case we cannot fetch still leaves the page going out: each hospital fetches it itself.
    case = await load_case()
    question = WITHHELD if scan_text(received.question) else received.question
    page = Page(
        ap_id=received.ap_id,
        is_local=True,  # the group's home keeps the page's figures and escalates it
        group_actor_id=group.id,
        requester_actor_id=author.id,
        case_id=case.id if case is not None else None,
        case_ap_id=received.case_uri,
        urgency=received.urgency,
        question=question,
        state="sent",
    )
    db.add(page)
    await db.flush()
    sent = await page_federation.relay_request(db, ctx.state, page, author, group, ctx.activity)
    log.info("page request %s from %s: fanned out to %d server(s)", received.ap_id, author.uri, sent)
    return page


async def _receive_escalation_request(
    ctx: InboxContext, page_id: str, author: Actor, group: Actor
) -> Page | None:
    """The requester's hospital escalates a page we relayed (it owns the escalation: answers
    reach the case's home there). Only for a page of this group we relayed for that same
    requester, on the requester's host; a second escalation does nothing."""
    if not _same_host(page_id, author.uri):
        raise Dropped("escalation of a page of another host", page_id)
    page = await paging_repo.get_page_by_ap_id(ctx.db, page_id)
    if page is None or not page.is_local or page.group_actor_id != group.id:
        raise Dropped("escalation of a page not relayed here", page_id)
    if page.requester_actor_id != author.id:
        raise Dropped("escalation of a page by someone else", page_id)
    if page.escalated_at is not None:
        return None
    page.escalated_at = utcnow()
    sent = await page_federation.relay_escalation(ctx.db, ctx.state, page, author, group, ctx.activity)
    log.info("escalation of page %s from %s: announced to %d server(s)", page_id, author.uri, sent)
    return page
