"""Notifications by id, for the client API. Functions take a session first and never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Notification
from fediverse_cases.storage.repositories.id_pages import IdPage, run_id_page


async def notifications_page(session: AsyncSession, account_id: int, page: IdPage) -> list[Notification]:
    query = select(Notification).where(Notification.account_id == account_id)
    return await run_id_page(session, query, Notification.id, page)


async def get_notification(
    session: AsyncSession, account_id: int, notification_id: int
) -> Notification | None:
    notification = await session.get(Notification, notification_id)
    return notification if notification is not None and notification.account_id == account_id else None
