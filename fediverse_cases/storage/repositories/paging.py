"""Queries and writes of paging: on-call settings, pages, recipients (and the notification each
recipient gets, written with its Web Push in the same transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.paging import Schedule, is_on_call
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Comment, Notification, OnCall, Page, PageRecipient
from fediverse_cases.storage.repositories.cases import add_notification


async def get_on_call(db: AsyncSession, account_id: int, group_actor_id: int) -> OnCall | None:
    row = await db.execute(
        select(OnCall).where(OnCall.account_id == account_id, OnCall.group_actor_id == group_actor_id)
    )
    return row.scalar_one_or_none()


def schedule_of(setting: OnCall | None) -> Schedule:
    if setting is None:
        return Schedule()
    return Schedule(setting.schedule_days, setting.schedule_start, setting.schedule_end)


async def on_call_account_ids(
    db: AsyncSession, group_actor_id: int, account_ids: Sequence[int], now: datetime
) -> set[int]:
    """Of ``account_ids``, those on call for the group at ``now``."""
    if not account_ids:
        return set()
    rows = await db.execute(
        select(OnCall).where(
            OnCall.group_actor_id == group_actor_id, OnCall.account_id.in_(list(account_ids))
        )
    )
    return {s.account_id for s in rows.scalars() if is_on_call(s.enabled, schedule_of(s), now)}


async def get_page(db: AsyncSession, page_id: int) -> Page | None:
    return await db.get(Page, page_id)


async def get_page_by_ap_id(db: AsyncSession, ap_id: str) -> Page | None:
    row = await db.execute(select(Page).where(Page.ap_id == ap_id))
    return row.scalar_one_or_none()


async def recipients(db: AsyncSession, page_id: int) -> list[tuple[PageRecipient, Actor]]:
    rows = await db.execute(
        select(PageRecipient, Actor)
        .join(Actor, Actor.id == PageRecipient.actor_id)
        .where(PageRecipient.page_id == page_id)
        .order_by(PageRecipient.id)
    )
    return [(r, a) for r, a in rows]


async def recipient_actor_ids(db: AsyncSession, page_id: int) -> set[int]:
    rows = await db.execute(select(PageRecipient.actor_id).where(PageRecipient.page_id == page_id))
    return set(rows.scalars())


def add_recipient(
    db: AsyncSession,
    page: Page,
    actor: Actor,
    *,
    on_call: bool,
    message: str,
    from_actor_id: int | None,
) -> tuple[PageRecipient, Notification | None]:
    """A recipient; a local one is notified ("page", pushed with high urgency). Pass what this
    returns to ``link_notifications`` once all are added."""
    recipient = PageRecipient(page_id=page.id, actor_id=actor.id, on_call=on_call, notified_at=utcnow())
    db.add(recipient)
    notification = None
    if actor.is_local and actor.account_id is not None:
        notification = add_notification(
            db,
            account_id=actor.account_id,
            kind="page",
            case_id=page.case_id,
            message=message,
            from_actor_id=from_actor_id,
            push_urgency="high",
        )
    return recipient, notification


async def add_remote_recipients(
    db: AsyncSession, page: Page, actor_ids: Sequence[int], *, on_call: bool
) -> None:
    """Members at other hospitals (their hospital notifies them): one batched insert, as a page
    to a large group names hundreds of them."""
    if actor_ids:
        now = utcnow()
        await db.execute(
            insert(PageRecipient),
            [{"page_id": page.id, "actor_id": a, "on_call": on_call, "notified_at": now} for a in actor_ids],
        )


async def link_notifications(
    db: AsyncSession, added: Sequence[tuple[PageRecipient, Notification | None]]
) -> None:
    """Remember which notification told each recipient (marking it read through the API marks
    the page seen); one flush for them all."""
    await db.flush()
    for recipient, notification in added:
        if notification is not None:
            recipient.notification_id = notification.id
    await db.flush()


async def unseen_pages(
    db: AsyncSession,
    actor_id: int,
    *,
    page_id: int | None = None,
    case_id: int | None = None,
    notification_ids: Sequence[int] = (),
) -> list[Page]:
    """The pages ``mark_seen`` with the same arguments is about to mark seen for the first time."""
    query = (
        select(Page)
        .join(PageRecipient, PageRecipient.page_id == Page.id)
        .where(PageRecipient.actor_id == actor_id, PageRecipient.seen_at.is_(None), Page.state == "sent")
    )
    if page_id is not None:
        query = query.where(Page.id == page_id)
    elif case_id is not None:
        query = query.where(Page.case_id == case_id)
    elif notification_ids:
        query = query.where(PageRecipient.notification_id.in_(list(notification_ids)))
    else:
        return []
    return list((await db.execute(query)).scalars())


async def mark_seen(
    db: AsyncSession,
    actor_id: int,
    *,
    page_id: int | None = None,
    case_id: int | None = None,
    notification_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> int:
    """The recipient saw the page (its view, the case's page, or its notification marked read)."""
    now = now or utcnow()
    query = update(PageRecipient).where(PageRecipient.actor_id == actor_id, PageRecipient.seen_at.is_(None))
    if page_id is not None:
        query = query.where(PageRecipient.page_id == page_id)
    elif case_id is not None:
        query = query.where(
            PageRecipient.page_id.in_(select(Page.id).where(Page.case_id == case_id, Page.state == "sent"))
        )
        # Every signed-in opening of a case asks this; almost always nothing is unseen. A read
        # first, because an UPDATE takes SQLite's one write lock even when it matches nothing.
        waiting = select(PageRecipient.id).where(query.whereclause).limit(1)
        if (await db.execute(waiting)).first() is None:
            return 0
    elif notification_ids:
        query = query.where(PageRecipient.notification_id.in_(list(notification_ids)))
    else:
        return 0
    result = await db.execute(query.values(seen_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0


async def pages_of_notifications(db: AsyncSession, notification_ids: Sequence[int]) -> dict[int, int]:
    """Notification id -> the page it told of (for links from the notifications page)."""
    if not notification_ids:
        return {}
    rows = await db.execute(
        select(PageRecipient.notification_id, PageRecipient.page_id).where(
            PageRecipient.notification_id.in_(list(notification_ids))
        )
    )
    return {notification_id: page_id for notification_id, page_id in rows if notification_id is not None}


async def sent_pages_of_case(db: AsyncSession, case_id: int) -> Sequence[Page]:
    rows = await db.execute(
        select(Page).where(Page.case_id == case_id, Page.state == "sent").order_by(Page.id)
    )
    return rows.scalars().all()


async def pages_waiting_review(db: AsyncSession, case_id: int) -> Sequence[Page]:
    rows = await db.execute(
        select(Page).where(Page.case_id == case_id, Page.state == "review").order_by(Page.id)
    )
    return rows.scalars().all()


async def escalation_candidates(db: AsyncSession, sent_before: datetime, limit: int) -> Sequence[Page]:
    rows = await db.execute(
        select(Page)
        .join(Actor, Actor.id == Page.requester_actor_id)
        .where(
            Page.is_local.is_(True),
            # The requester's hospital escalates a page: it is the case's home, where answers
            # (comments) arrive. A page the group's home relayed for a member elsewhere is
            # escalated by the requester's hospital, which asks the group (``receive_page_request``).
            Actor.is_local.is_(True),
            Page.state == "sent",
            Page.first_answer_at.is_(None),
            Page.escalated_at.is_(None),
            Page.sent_at <= sent_before,
        )
        .order_by(Page.sent_at, Page.id)
        .limit(limit)
    )
    return rows.scalars().all()


async def claim_escalation(db: AsyncSession, page_id: int, now: datetime) -> bool:
    """Mark the page escalated unless another worker did or an answer came meanwhile."""
    result = await db.execute(
        update(Page)
        .where(Page.id == page_id, Page.escalated_at.is_(None), Page.first_answer_at.is_(None))
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1


async def pages_of_group(db: AsyncSession, group_actor_id: int, *, limit: int = 50) -> Sequence[Page]:
    rows = await db.execute(
        select(Page).where(Page.group_actor_id == group_actor_id).order_by(Page.id.desc()).limit(limit)
    )
    return rows.scalars().all()


async def answer_times(db: AsyncSession, group_actor_id: int) -> list[tuple[datetime, datetime | None]]:
    rows = await db.execute(
        select(Page.sent_at, Page.first_answer_at).where(
            Page.group_actor_id == group_actor_id, Page.is_local.is_(True), Page.sent_at.is_not(None)
        )
    )
    return [(sent, answered) for sent, answered in rows if sent is not None]


async def case_ids_waiting_urgent_review(db: AsyncSession) -> set[int]:
    rows = await db.execute(select(Page.case_id).where(Page.state == "review", Page.case_id.is_not(None)))
    return {case_id for case_id in rows.scalars() if case_id is not None}


async def record_answers(db: AsyncSession, comment: Comment, author: Actor) -> int:
    """``comment`` (visible, by ``author``) answers every sent page on its case that was for
    ``author``; the first answer to a page here notifies its requester. Returns pages answered."""
    if comment.state != "visible":
        return 0
    answered = 0
    when = utcnow()
    for page in await sent_pages_of_case(db, comment.case_id):
        if page.sent_at is None or page.requester_actor_id == author.id:
            continue
        row = await db.execute(
            select(PageRecipient).where(PageRecipient.page_id == page.id, PageRecipient.actor_id == author.id)
        )
        recipient = row.scalar_one_or_none()
        if recipient is None and page.is_local and await _requested_elsewhere(db, page):
            # Sent through a group hosted at another hospital: its home knows who was paged;
            # here any clinician answering on the case after the page counts as a recipient.
            recipient = PageRecipient(
                page_id=page.id, actor_id=author.id, on_call=True, notified_at=page.sent_at
            )
            db.add(recipient)
        if recipient is None or recipient.answered_at is not None:
            continue
        recipient.answered_at = when
        if recipient.seen_at is None and author.is_local:
            recipient.seen_at = when
        answered += 1
        if page.first_answer_at is None:
            page.first_answer_at = when
            requester = await db.get(Actor, page.requester_actor_id)
            if page.is_local and requester is not None and requester.account_id is not None:
                add_notification(
                    db,
                    account_id=requester.account_id,
                    kind="page_answered",
                    case_id=page.case_id,
                    comment_id=comment.id,
                    from_actor_id=author.id,
                    message=f"{author.handle if not author.is_local else author.username} answered your page: {page.question}",
                    push_urgency="high",
                )
    await db.flush()
    return answered


async def _requested_elsewhere(db: AsyncSession, page: Page) -> bool:
    group = await db.get(Actor, page.group_actor_id)
    return group is not None and not group.is_local
