"""Sending a page to group members at other hospitals: one Create(Note) to each member's server
(shared inbox), addressed to that server's members and mentioning them, signed and delivered through
the transactional outbox like every activity. Each hospital decides which of its members to
tell (those on call, or all of them when the page escalated): ``federation.handlers.page``.

A member at another hospital than the group's sends the page Note to the Group instead
(``deliver_request``); the group's home announces that request, as received, to every other
member's server (``announce_request``), as it relays posts (FEP-1b12).
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
) -> int:
    """Queue the page request (the page Note addressed to the Group) for the group's home."""
    note = PageNote(
        ap_id=page.ap_id,
        requester_uri=requester.uri,
        group_uri=group_actor.uri,
        case_uri=case.ap_id,
        case_url=case.ap_id,
        case_title=case_title(case),
        urgency=page.urgency,
        question=page.question,
        recipients=(),
        escalated=False,
        published=utcnow(),
        to_group=True,
    )
    activity = create_activity(note_from_page(note))
    activity["id"] = f"{page.ap_id}/activity"
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
