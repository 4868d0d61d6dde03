"""The VAPID key row, push subscriptions and queued pushes. Functions take a session first and
never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Notification, PushDelivery, PushSubscription, VapidKey

INSTANCE_KEY = "instance"


URGENCIES = ("very-low", "low", "normal", "high")


def queue_push(session: AsyncSession, notification: Notification, urgency: str = "normal") -> PushDelivery:
    """A fan-out row for ``notification``, in the caller's transaction: the push worker sends it
    to the account's subscriptions (none: it is simply dropped). Works before the notification
    is flushed. ``urgency``: RFC 8030's, "high" for what must wake a phone (a page)."""
    if urgency not in URGENCIES:
        raise ValueError(f"unknown push urgency {urgency!r}")
    row = PushDelivery(
        notification=notification,
        subscription_id=None,
        urgency=urgency,
        state="pending",
        attempts=0,
        last_error="",
    )
    session.add(row)
    return row


async def get_vapid_key(session: AsyncSession, purpose: str = INSTANCE_KEY) -> VapidKey | None:
    return (await session.execute(select(VapidKey).where(VapidKey.purpose == purpose))).scalar_one_or_none()


async def subscription_for_token(session: AsyncSession, token_id: int) -> PushSubscription | None:
    return (
        await session.execute(select(PushSubscription).where(PushSubscription.token_id == token_id))
    ).scalar_one_or_none()


async def web_subscription(session: AsyncSession, account_id: int, endpoint: str) -> PushSubscription | None:
    """A web UI subscription (no token) of this account with this endpoint."""
    return (
        await session.execute(
            select(PushSubscription).where(
                PushSubscription.account_id == account_id,
                PushSubscription.token_id.is_(None),
                PushSubscription.endpoint == endpoint,
            )
        )
    ).scalar_one_or_none()


async def subscriptions_of(session: AsyncSession, account_id: int) -> Sequence[PushSubscription]:
    return (
        (
            await session.execute(
                select(PushSubscription)
                .where(PushSubscription.account_id == account_id)
                .order_by(PushSubscription.id)
            )
        )
        .scalars()
        .all()
    )


async def delete_subscription(session: AsyncSession, subscription_id: int) -> None:
    await session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))
