"""Sending a page to group members at other hospitals: one Create(Note) to each member's server
(shared inbox), addressed to that server's members and mentioning them, signed and delivered through
the transactional outbox like every activity. Each hospital decides which of its members to
tell (those on call, or all of them when the page escalated): ``federation.handlers.page``.

A member at another hospital than the group's sends the page Note to the Group instead
(``deliver_request``); the group's home announces that request, as received, to every other
member's server (``announce_request``), as it relays posts (FEP-1b12). The requester's hospital
escalates such a page by sending the group its escalation request the same way; the group's home
tells its members not told yet and announces it (``relay_escalation``).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert.activities import create_activity
from fediverse_cases.convert.groups import announce_activity
from fediverse_cases.convert.pages import PageNote, note_from_page, page_activity
from fediverse_cases.core.case_titles import case_title
from fediverse_cases.federation import outbox, recipients
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Case, Page
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import paging as paging_repo


def describe(requester: Actor, group_actor: Actor, page: Page, *, escalated: bool = False) -> str:
    """The notification text of a page."""
    group = group_actor.display_name or group_actor.username
    lead = "Escalated page" if escalated else "Page"
    # A requester at another hospital (a page request) is named with their hospital.
    who = requester.username if requester.is_local else requester.handle
    return f"{lead} ({page.urgency}) from {who} to {group}: {page.question}"


async def tell_local_on_call(
    db: AsyncSession, page: Page, requester: Actor, group_actor: Actor
) -> list[Actor]:
    """Marks the page sent now and notifies the group's members here who are on call; returns
    every member of the group but the requester (the caller decides who elsewhere hears of it)."""
    page.sent_at = utcnow()
    members = [m for _, m in await groups_repo.members(db, group_actor.id) if m.id != requester.id]
    local = [m for m in members if m.is_local and m.account_id is not None]
    on_call = await paging_repo.on_call_account_ids(
        db, group_actor.id, [m.account_id for m in local if m.account_id is not None], page.sent_at
    )
    message = describe(requester, group_actor, page)
    added = [
        paging_repo.add_recipient(db, page, m, on_call=True, message=message, from_actor_id=requester.id)
        for m in local
        if m.account_id in on_call
    ]
    await paging_repo.link_notifications(db, added)
    return members


async def tell_local_not_told(
    db: AsyncSession, page: Page, requester: Actor, group_actor: Actor
) -> tuple[list[Actor], set[int]]:
    """The page escalated: every member here not told yet is told, on call or not. Returns every
    member of the group but the requester, and the ids of those told before."""
    told = await paging_repo.recipient_actor_ids(db, page.id)
    members = [m for _, m in await groups_repo.members(db, group_actor.id) if m.id != requester.id]
    message = describe(requester, group_actor, page, escalated=True)
    added = [
        paging_repo.add_recipient(db, page, m, on_call=False, message=message, from_actor_id=requester.id)
        for m in members
        if m.is_local and m.account_id is not None and m.id not in told
    ]
    await paging_repo.link_notifications(db, added)
    return members, told


async def relay_request(
    db: AsyncSession,
    state: FederationState,
    page: Page,
    requester: Actor,
    group_actor: Actor,
    activity: dict[str, Any],
) -> int:
    """At the group's home, a page a member at another hospital sent: our members on call are
    told, and the request (``activity``, exactly as received, so its proof verifies everywhere)
    is announced to every other member's server; the requester's hospital told its own."""
    members = await tell_local_on_call(db, page, requester, group_actor)
    remote = [m for m in members if not m.is_local and m.host != requester.host]
    await paging_repo.add_remote_recipients(db, page, [m.id for m in remote], on_call=True)
    return await announce_request(db, state, page, group_actor, activity, remote)


async def relay_escalation(
    db: AsyncSession,
    state: FederationState,
    page: Page,
    requester: Actor,
    group_actor: Actor,
    activity: dict[str, Any],
) -> int:
    """At the group's home, the escalation of a page we relayed for a member elsewhere: every
    member here not told yet is told (on call or not), and the escalation request, as received,
    is announced to every other member's server (each tells its members not told yet)."""
    members, told = await tell_local_not_told(db, page, requester, group_actor)
    remote = [m for m in members if not m.is_local and m.host != requester.host]
    await paging_repo.add_remote_recipients(
        db, page, [m.id for m in remote if m.id not in told], on_call=False
    )
    return await announce_request(db, state, page, group_actor, activity, remote)


async def deliver_page(
    db: AsyncSession,
    state: FederationState,
    page: Page,
    *,
    requester: Actor,
    group_actor: Actor,
    case: Case,
    members: Sequence[Actor],
    escalated: bool,
) -> int:
    """Queue the page Note for each remote member's server (shared inbox preferred), naming
    that server's members only. Returns the number of deliveries queued."""
    by_inbox: dict[str, list[Actor]] = defaultdict(list)
    for member in members:
        if not member.is_local and recipients.inbox_of(member):
            by_inbox[recipients.inbox_of(member)].append(member)
    published = utcnow()
    activities: list[tuple[str, dict[str, Any]]] = []
    for inbox, people in by_inbox.items():
        note = PageNote(
            # The escalation is a Note of its own that names the page it escalates.
            ap_id=f"{page.ap_id}/escalation" if escalated else page.ap_id,
            requester_uri=requester.uri,
            group_uri=group_actor.uri,
            case_uri=case.ap_id,
            case_url=case.ap_id,
            case_title=case_title(case),
            urgency=page.urgency,
            question=page.question,
            recipients=tuple((p.uri, f"@{p.handle}") for p in people),
            escalated=escalated,
            escalates=page.ap_id if escalated else "",
            published=published,
        )
        activities.append((inbox, page_activity(note, inbox)))
    return await outbox.enqueue_each(db, state, activities=activities, sender=requester, object_id=page.ap_id)


async def deliver_request(
    db: AsyncSession,
    state: FederationState,
    page: Page,
    *,
    requester: Actor,
    group_actor: Actor,
    case: Case,
    escalated: bool = False,
) -> int:
    """Queue the page request (the page Note addressed to the Group) for the group's home; the
    escalation request is a Note of its own (``<page id>/escalation``) naming the page."""
    note_id = f"{page.ap_id}/escalation" if escalated else page.ap_id
    note = PageNote(
        ap_id=note_id,
        requester_uri=requester.uri,
        group_uri=group_actor.uri,
        case_uri=case.ap_id,
        case_url=case.ap_id,
        case_title=case_title(case),
        urgency=page.urgency,
        question=page.question,
        recipients=(),
        escalated=escalated,
        escalates=page.ap_id if escalated else "",
        published=utcnow(),
        to_group=True,
    )
    activity = create_activity(note_from_page(note))
    activity["id"] = f"{note_id}/activity"
    return await outbox.enqueue(
        db,
        state,
        activity=activity,
        sender=requester,
        inboxes=[group_actor.inbox_url or recipients.inbox_of(group_actor)],
        object_id=page.ap_id,
    )


async def announce_request(
    db: AsyncSession,
    state: FederationState,
    page: Page,
    group_actor: Actor,
    activity: dict[str, Any],
    members: Sequence[Actor],
) -> int:
    """The group announces a member's page request, as received, to ``members``' servers."""
    inboxes = {recipients.inbox_of(m) for m in members if not m.is_local and recipients.inbox_of(m)}
    announce_id = f"{group_actor.uri}/announces/pages/{secrets.token_hex(12)}"
    announce = announce_activity(announce_id, group_actor.uri, group_actor.followers_url, activity)
    # A page is for the group's members, never public.
    announce["to"], announce["cc"] = [group_actor.followers_url], []
    return await outbox.enqueue(
        db, state, activity=announce, sender=group_actor, inboxes=inboxes, object_id=page.ap_id
    )
