"""Queries over cases, their images, tags, consent, review decisions and notifications.

Functions take a session first and never commit. Visibility is decided by the caller with
``core.case_access``; these functions only fetch.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case as sql_case
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Case,
    CaseImage,
    CaseOutcome,
    CaseRevision,
    CaseTag,
    CollectionItem,
    Comment,
    Consent,
    DicomStackImage,
    Flag,
    Like,
    Notification,
    Page,
    Poll,
    ReviewDecision,
)
from fediverse_cases.storage.repositories.web_push import queue_push


async def get_case(session: AsyncSession, case_id: int) -> Case | None:
    return await session.get(Case, case_id)


async def get_case_by_public_id(session: AsyncSession, public_id: str) -> Case | None:
    result = await session.execute(select(Case).where(Case.public_id == public_id))
    return result.scalar_one_or_none()


async def get_local_case_by_ref(session: AsyncSession, ref: str) -> Case | None:
    """A local case by numeric id or public id (the shell accepts either)."""
    case = await get_case_by_public_id(session, ref)
    if case is None and ref.isdigit():
        case = await get_case(session, int(ref))
    return case if case is not None and case.is_local else None


async def list_images(session: AsyncSession, case_id: int) -> Sequence[CaseImage]:
    result = await session.execute(
        select(CaseImage).where(CaseImage.case_id == case_id).order_by(CaseImage.position, CaseImage.id)
    )
    return result.scalars().all()


async def get_image(session: AsyncSession, case_id: int, image_id: int) -> CaseImage | None:
    image = await session.get(CaseImage, image_id)
    return image if image is not None and image.case_id == case_id else None


async def get_image_and_case_by_media_key(
    session: AsyncSession, media_key: str
) -> tuple[CaseImage, Case] | None:
    result = await session.execute(
        select(CaseImage, Case)
        .join(Case, Case.id == CaseImage.case_id)
        .where(CaseImage.media_key == media_key)
    )
    row = result.first()
    return (row[0], row[1]) if row is not None else None


async def count_images(session: AsyncSession, case_id: int) -> int:
    result = await session.execute(select(func.count(CaseImage.id)).where(CaseImage.case_id == case_id))
    return int(result.scalar_one())


async def images_of_cases(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[CaseImage]]:
    """Each case's images in ``list_images``' order, for many cases in one query."""
    images: dict[int, list[CaseImage]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        rows = await session.scalars(
            select(CaseImage)
            .where(CaseImage.case_id.in_(tuple(case_ids)))
            .order_by(CaseImage.position, CaseImage.id)
        )
        for image in rows:
            images[image.case_id].append(image)
    return images


async def case_tags_of_cases(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[CaseTag]]:
    """Each case's tags in ``list_tags``' order, for many cases in one query."""
    tags: dict[int, list[CaseTag]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        rows = await session.scalars(
            select(CaseTag).where(CaseTag.case_id.in_(tuple(case_ids))).order_by(CaseTag.id)
        )
        for tag in rows:
            tags[tag.case_id].append(tag)
    return tags


async def list_tags(session: AsyncSession, case_id: int) -> Sequence[CaseTag]:
    result = await session.execute(select(CaseTag).where(CaseTag.case_id == case_id).order_by(CaseTag.id))
    return result.scalars().all()


async def replace_tags(session: AsyncSession, case_id: int, tags: Sequence[tuple[str, bool]]) -> None:
    await session.execute(delete(CaseTag).where(CaseTag.case_id == case_id))
    for tag, is_specialty in tags:
        session.add(CaseTag(case_id=case_id, tag=tag, is_specialty=is_specialty))


async def get_consent(session: AsyncSession, case_id: int) -> Consent | None:
    result = await session.execute(select(Consent).where(Consent.case_id == case_id))
    return result.scalar_one_or_none()


async def list_review_decisions(session: AsyncSession, case_id: int) -> Sequence[ReviewDecision]:
    result = await session.execute(
        select(ReviewDecision).where(ReviewDecision.case_id == case_id).order_by(ReviewDecision.id)
    )
    return result.scalars().all()


async def review_queue(session: AsyncSession) -> Sequence[Case]:
    """Oldest first, except that cases a page waits on (urgent review) come before all others."""
    urgent = exists().where(Page.case_id == Case.id, Page.state == "review")
    result = await session.execute(
        select(Case)
        .where(Case.is_local.is_(True), Case.state == "pending")
        .order_by(sql_case((urgent, 0), else_=1), Case.submitted_at, Case.id)
    )
    return result.scalars().all()


async def count_review_queue(session: AsyncSession) -> int:
    """How many local cases wait for a reviewer (the badge beside "Review")."""
    result = await session.execute(
        select(func.count(Case.id)).where(Case.is_local.is_(True), Case.state == "pending")
    )
    return int(result.scalar_one())


async def list_local_cases(
    session: AsyncSession, *, state: str | None = None, limit: int = 500
) -> Sequence[Case]:
    query = select(Case).where(Case.is_local.is_(True)).order_by(Case.id.desc()).limit(limit)
    if state:
        query = query.where(Case.state == state)
    return (await session.execute(query)).scalars().all()


async def list_cases_by_author(session: AsyncSession, actor_id: int, *, limit: int = 200) -> Sequence[Case]:
    result = await session.execute(
        select(Case).where(Case.author_actor_id == actor_id).order_by(Case.id.desc()).limit(limit)
    )
    return result.scalars().all()


async def purge_case_content(session: AsyncSession, case_id: int) -> None:
    """Remove everything a withdrawn case showed: images, tags, comments, likes, flags, edits,
    its poll (votes go with it), its outcome, its places in collections, and the pages about it
    (their questions, recipients and notifications)."""
    await session.execute(
        delete(Notification).where(
            Notification.case_id == case_id,
            Notification.kind.in_(("page", "page_answered", "page_cancelled", "urgent_review")),
        )
    )
    for model in (CaseImage, CaseTag, Like, Flag, CaseRevision, Poll, CaseOutcome, CollectionItem, Page):
        await session.execute(delete(model).where(model.case_id == case_id))
    # Replies reference their parent comment, so clear the thread links first.
    await session.execute(update(Comment).where(Comment.case_id == case_id).values(parent_id=None))
    await session.execute(
        delete(Notification).where(Notification.case_id == case_id, Notification.comment_id.is_not(None))
    )
    await session.execute(delete(Comment).where(Comment.case_id == case_id))


def add_notification(
    session: AsyncSession,
    *,
    account_id: int,
    kind: str,
    case_id: int | None,
    message: str,
    comment_id: int | None = None,
    from_actor_id: int | None = None,
    push_urgency: str = "normal",
) -> Notification:
    """The one way a notification is written: it is also queued for Web Push in the same
    transaction, so a person's devices hear of everything the notification list shows
    (``push_urgency``: RFC 8030 Urgency of that push, "high" for a page)."""
    notification = Notification(
        account_id=account_id,
        kind=kind,
        case_id=case_id,
        comment_id=comment_id,
        from_actor_id=from_actor_id,
        message=message,
    )
    session.add(notification)
    queue_push(session, notification, push_urgency)
    return notification


async def list_notifications(
    session: AsyncSession, account_id: int, *, limit: int = 100
) -> Sequence[Notification]:
    result = await session.execute(
        select(Notification)
        .where(Notification.account_id == account_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def count_unread_notifications(session: AsyncSession, account_id: int) -> int:
    result = await session.execute(
        select(func.count(Notification.id)).where(
            Notification.account_id == account_id, Notification.read.is_(False)
        )
    )
    return int(result.scalar_one())


async def mark_notifications_read(session: AsyncSession, account_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.account_id == account_id, Notification.read.is_(False))
        .values(read=True)
    )


async def cases_by_ids(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, Case]:
    if not case_ids:
        return {}
    result = await session.execute(select(Case).where(Case.id.in_(list(case_ids))))
    return {case.id: case for case in result.scalars()}


async def first_images(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, CaseImage]:
    """Each case's first image (for thumbnails beside a notification)."""
    if not case_ids:
        return {}
    result = await session.execute(
        select(CaseImage)
        .where(CaseImage.case_id.in_(list(case_ids)), CaseImage.media_key != "")
        .order_by(CaseImage.case_id, CaseImage.position, CaseImage.id)
    )
    first: dict[int, CaseImage] = {}
    for image in result.scalars():
        first.setdefault(image.case_id, image)
    return first


async def get_case_by_ap_id(session: AsyncSession, ap_id: str) -> Case | None:
    return (await session.execute(select(Case).where(Case.ap_id == ap_id))).scalar_one_or_none()


async def image_keys(session: AsyncSession, case_id: int) -> list[str]:
    """Shared media keys of the case's images and of its stacks' frames (for deleters)."""
    rows = await session.execute(select(CaseImage.media_key).where(CaseImage.case_id == case_id))
    frames = await session.execute(
        select(DicomStackImage.media_key).where(DicomStackImage.case_id == case_id)
    )
    return [r[0] for r in rows if r[0]] + [r[0] for r in frames]


async def pending_revision(session: AsyncSession, case_id: int) -> CaseRevision | None:
    rows = await session.execute(
        select(CaseRevision).where(CaseRevision.case_id == case_id, CaseRevision.state == "pending")
    )
    return rows.scalars().first()


async def applied_revisions(session: AsyncSession, case_id: int) -> Sequence[CaseRevision]:
    """The case's edit history, oldest first (each holds the version it replaced)."""
    rows = await session.execute(
        select(CaseRevision)
        .where(CaseRevision.case_id == case_id, CaseRevision.state == "applied")
        .order_by(CaseRevision.decided_at, CaseRevision.id)
    )
    return rows.scalars().all()


async def cases_with_handed_over_images(session: AsyncSession, case_ids: Sequence[int]) -> set[int]:
    """Which of these cases hold an image whose boxes the author decided after the engine handed
    it over (``CaseImage.review_note``): the review queue flags them."""
    if not case_ids:
        return set()
    rows = await session.execute(
        select(CaseImage.case_id).where(CaseImage.case_id.in_(tuple(case_ids)), CaseImage.review_note != "")
    )
    return set(rows.scalars().all())


async def cases_with_pending_edits(session: AsyncSession) -> Sequence[Case]:
    rows = await session.execute(
        select(Case)
        .join(CaseRevision, CaseRevision.case_id == Case.id)
        .where(CaseRevision.state == "pending")
        .order_by(CaseRevision.created_at)
    )
    return rows.scalars().all()


async def get_consent_by_code_hash(session: AsyncSession, code_hash: str) -> Consent | None:
    """The consent whose withdrawal code hashes to ``code_hash`` (never matches an empty hash)."""
    if not code_hash:
        return None
    result = await session.execute(select(Consent).where(Consent.withdrawal_code_hash == code_hash))
    return result.scalars().first()


async def tags_of_cases(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[str]]:
    """Tag names per case, for many cases in one query."""
    if not case_ids:
        return {}
    rows = await session.execute(select(CaseTag.case_id, CaseTag.tag).where(CaseTag.case_id.in_(case_ids)))
    tags: dict[int, list[str]] = {}
    for case_id, tag in rows:
        tags.setdefault(case_id, []).append(tag)
    return tags
