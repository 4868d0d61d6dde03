"""Paging a group: a verified professional asks the group's on-call members about a case.

- ``send_page``: the requester (a member of the group, hosted here or at another hospital)
  pages it with one of their cases: a published one, or one still waiting for review ("urgent review": it goes to the top
  of the review queue and the reviewers are notified; the page is sent once it is approved).
- The question is scanned for identifiers like every text (a finding refuses the page).
- Sending: every local member on call (toggle or weekly schedule) gets a "page" notification
  (web UI, client API, Web Push with high urgency); members at other hospitals get the page
  Note (``federation.paging``) and their hospital tells those on call there.
- A group hosted at another hospital: the members here on call are told by us, and the page
  request (the page Note addressed to the Group) goes to the group's home, which checks the
  requester like a group post and fans it out to the other hospitals (``relay_request``: its
  own members are told, the others get the request ``Announce``d, as FEP-1b12 relays posts).
- Answers (``storage.repositories.paging.record_answers``, called wherever a comment becomes
  visible: written here, approved after being held, or arriving from a peer): a recipient's
  comment on the case answers the page; the first answer notifies the requester at once.
- A rejected case cancels the pages waiting on its urgent review (``case_rejected``): each
  requester is told.
- ``escalate_due``: a page nobody answered within ``[paging] escalate_after_minutes`` goes to
  every member of the group, once (run by the worker; ``now`` is injectable for tests and for
  ``fediverse-cases worker --once --now``). The requester's hospital escalates (answers reach
  the case's home): for a group hosted elsewhere it tells its own members and sends the group's
  home the escalation request, which that home announces to the members' servers.
- Seen (``mark_seen``): opening the page, the case's page, or reading the notification (client
  API or web UI) marks the page seen by that recipient; a requester at another hospital is told
  (``federation.page_seen``: a ``View`` of the page).

Each function works in the caller's transaction except ``escalate_due`` (its own, per page).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import Role, can_post_and_comment, can_review
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.core.case_titles import case_title
from fediverse_cases.core.paging import (
    PagingRuleError,
    ResponseStats,
    Schedule,
    check_question,
    check_urgency,
    response_stats,
)
from fediverse_cases.deidentify import scan_text
from fediverse_cases.federation import page_seen
from fediverse_cases.federation import paging as page_federation
from fediverse_cases.federation.state import FederationState
from fediverse_cases.federation.workers import JobLoop
from fediverse_cases.services import push_jobs
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, Actor, Case, Group, OnCall, Page
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories.audit import record
from fediverse_cases.storage.repositories.cases import add_notification

ESCALATION_BATCH = 50
# Escalations are due minutes after a page; looking twice a minute keeps them on time.
ESCALATION_POLL_SECONDS = 30.0


class PagingError(Exception):
    """A refused page or setting; the message is for the person who asked."""


@dataclass(frozen=True)
class NewPage:
    case: Case
    urgency: str
    question: str


async def send_page(
    db: AsyncSession,
    state: AppState,
    account: Account,
    requester: Actor,
    group: Group | None,
    group_actor: Actor,
    new: NewPage,
    operator: Operator | None = None,
) -> Page:
    if not can_post_and_comment(account):
        raise PagingError("Only verified healthcare professionals page a group.")
    if not await groups_repo.is_member(db, group_actor.id, requester.id):
        raise PagingError("Join the group before paging it.")
    try:
        urgency = check_urgency(new.urgency)
        question = check_question(new.question)
    except PagingRuleError as error:
        raise PagingError(str(error)) from None
    # The question reaches phones' lock screens at every hospital: never an identifier.
    findings = scan_text(question)
    if findings:
        kinds = ", ".join(sorted({f.category for f in findings}))
        raise PagingError(f"The question may identify a patient ({kinds}): rephrase it without identifiers.")
    case = new.case
    if not case.is_local or case.author_actor_id != requester.id:
        raise PagingError("Page with one of your own cases.")
    if case.visibility != Visibility.PUBLIC:
        raise PagingError("Page with a public case: every member of the group may open it.")
    if case.state == CaseState.PENDING:
        waiting = True
    elif case.state == CaseState.PUBLISHED and not case.hidden:
        waiting = False
    else:
        raise PagingError("Page with a published case, or one waiting for review (urgent review).")
    page = Page(
        ap_id=f"{state.settings.instance.base_url}/pages/notes/{secrets.token_hex(12)}",
        is_local=True,
        group_actor_id=group_actor.id,
        requester_actor_id=requester.id,
        case_id=case.id,
        case_ap_id=case.ap_id,
        urgency=urgency.value,
        question=question,
        state="review" if waiting else "sent",
    )
    db.add(page)
    await db.flush()
    if operator is not None:
        record(
            db,
            operator.entry(
                "page.send",
                target_type="page",
                target_id=str(page.id),
                case_id=case.id,
                details={"group": group_actor.uri, "urgency": page.urgency, "urgent_review": waiting},
            ),
        )
    if waiting:
        await _ask_reviewers(db, page, case, requester)
    else:
        await _dispatch(db, state, page, requester, group_actor, case)
    return page


async def _ask_reviewers(db: AsyncSession, page: Page, case: Case, requester: Actor) -> None:
    """Urgent review: every reviewer here hears of it (high urgency push)."""
    reviewers = await db.execute(
        select(Account).where(Account.disabled.is_(False), Account.role.in_((Role.REVIEWER, Role.ADMIN)))
    )
    for reviewer in reviewers.scalars():
        if can_review(reviewer) and reviewer.id != requester.account_id:
            add_notification(
                db,
                account_id=reviewer.id,
                kind="urgent_review",
                case_id=case.id,
                message=f"Urgent review: {requester.username} paged a group with {case_title(case)}.",
                from_actor_id=requester.id,
                push_urgency="high",
            )


async def case_approved(db: AsyncSession, state: AppState, case: Case) -> int:
    """The reviewer approved a case pages were waiting on: send them now."""
    sent = 0
    for page in await paging_repo.pages_waiting_review(db, case.id):
        requester = await db.get(Actor, page.requester_actor_id)
        group_actor = await db.get(Actor, page.group_actor_id)
        if requester is None or group_actor is None:
            continue
        page.state = "sent"
        await _dispatch(db, state, page, requester, group_actor, case)
        sent += 1
    return sent


async def _dispatch(
    db: AsyncSession, state: AppState, page: Page, requester: Actor, group_actor: Actor, case: Case
) -> None:
    members = await page_federation.tell_local_on_call(db, page, requester, group_actor)
    # Members elsewhere: their hospital knows who of them is on call and tells those.
    remote = [m for m in members if not m.is_local]
    await paging_repo.add_remote_recipients(db, page, [m.id for m in remote], on_call=True)
    if not group_actor.is_local:
        # The group's home knows its members at every hospital: it fans the page out.
        await page_federation.deliver_request(
            db, state, page, requester=requester, group_actor=group_actor, case=case
        )
        return
    await page_federation.deliver_page(
        db,
        state,
        page,
        requester=requester,
        group_actor=group_actor,
        case=case,
        members=remote,
        escalated=False,
    )


async def case_rejected(db: AsyncSession, case: Case, reason: str) -> int:
    """The reviewer rejected a case pages were waiting on: they are cancelled, and each
    requester is told (high urgency: they are waiting for an answer)."""
    cancelled = 0
    for page in await paging_repo.pages_waiting_review(db, case.id):
        page.state = "cancelled"
        requester = await db.get(Actor, page.requester_actor_id)
        if requester is not None and requester.account_id is not None:
            add_notification(
                db,
                account_id=requester.account_id,
                kind="page_cancelled",
                case_id=case.id,
                message=f"Your page was cancelled: the case {case_title(case)} was not approved ({reason.strip()}).",
                push_urgency="high",
            )
        cancelled += 1
    await db.flush()
    return cancelled


# --- escalation --------------------------------------------------------------------------------


def job_loop(state: AppState) -> JobLoop:
    """Escalation as one more worker loop (inside ``serve`` or ``fediverse-cases worker``)."""
    return JobLoop("paging", lambda: escalate_due(state), state.wake.paging, ESCALATION_POLL_SECONDS)


async def escalate_due(state: AppState, *, now: datetime | None = None) -> int:
    """Escalate every page unanswered for ``escalate_after_minutes`` at ``now``: all members of
    the group (not yet told) are notified, members elsewhere get the escalation Note. Each
    page in its own transaction, claimed so two workers never escalate it twice."""
    now = now or utcnow()
    after = timedelta(minutes=state.settings.paging.escalate_after_minutes)
    async with state.sessionmaker() as db:
        due = [p.id for p in await paging_repo.escalation_candidates(db, now - after, ESCALATION_BATCH)]
    escalated = 0
    for page_id in due:
        async with state.transaction() as db:
            if not await paging_repo.claim_escalation(db, page_id, now):
                continue
            page = await db.get(Page, page_id)
            assert page is not None
            await _escalate(db, state, page)
            escalated += 1
    if escalated:
        push_jobs.wake(state)
        state.wake.delivery.set()
    return escalated


async def _escalate(db: AsyncSession, state: AppState, page: Page) -> None:
    requester = await db.get(Actor, page.requester_actor_id)
    group_actor = await db.get(Actor, page.group_actor_id)
    case = await db.get(Case, page.case_id) if page.case_id else None
    if requester is None or group_actor is None or case is None:
        return
    members, told = await page_federation.tell_local_not_told(db, page, requester, group_actor)
    if not group_actor.is_local:
        # The group's home knows its members everywhere: it is asked to escalate (the
        # escalation Note addressed to the Group, signed by the requester) and announces it.
        await page_federation.deliver_request(
            db, state, page, requester=requester, group_actor=group_actor, case=case, escalated=True
        )
        return
    # Every remote member's server gets the escalation (each tells those of its members not
    # told yet).
    remote = [m for m in members if not m.is_local]
    await paging_repo.add_remote_recipients(
        db, page, [m.id for m in remote if m.id not in told], on_call=False
    )
    await page_federation.deliver_page(
        db,
        state,
        page,
        requester=requester,
        group_actor=group_actor,
        case=case,
        members=remote,
        escalated=True,
    )


# --- seen ------------------------------------------------------------------------------------


async def mark_seen(
    db: AsyncSession,
    state: FederationState,
    me: Actor,
    *,
    page_id: int | None = None,
    case_id: int | None = None,
    notification_ids: Sequence[int] = (),
) -> int:
    """``me`` saw the page(s): marked here, and each requester at another hospital is told."""
    pages = await paging_repo.unseen_pages(
        db, me.id, page_id=page_id, case_id=case_id, notification_ids=notification_ids
    )
    marked = await paging_repo.mark_seen(
        db, me.id, page_id=page_id, case_id=case_id, notification_ids=notification_ids
    )
    if pages:
        await page_seen.tell_seen(db, state, me, pages)
    return marked


# --- on call and figures -----------------------------------------------------------------------


async def set_on_call(
    db: AsyncSession, account: Account, group_actor: Actor, *, enabled: bool, schedule: Schedule
) -> OnCall:
    setting = await paging_repo.get_on_call(db, account.id, group_actor.id)
    if setting is None:
        setting = OnCall(account_id=account.id, group_actor_id=group_actor.id)
        db.add(setting)
    setting.enabled = enabled
    setting.schedule_days, setting.schedule_start, setting.schedule_end = (
        schedule.days,
        schedule.start,
        schedule.end,
    )
    setting.updated_at = utcnow()
    await db.flush()
    return setting


async def group_stats(db: AsyncSession, group_actor_id: int) -> ResponseStats:
    return response_stats(await paging_repo.answer_times(db, group_actor_id))
