"""Sending Web Push for notifications: the durable queue ``push_deliveries`` and its worker.

``add_notification`` (storage.repositories.cases) queues a *fan-out* row in the transaction that
writes the notification, so a push is never lost to a crash between the two. The worker — inside
``serve`` or ``fediverse-cases worker`` — claims due rows with a lease
(``work_queue.claim_due``, as deliveries), and:

- a fan-out row becomes, in one transaction, one row per subscription of the account that wants
  this notification type (its alerts) from this sender (its policy), and goes away;
- a subscription row is encrypted for that device (RFC 8291 ``aes128gcm``, by ``pywebpush``),
  signed with the instance's VAPID key (RFC 8292, ``py_vapid``) and POSTed to the endpoint
  through ``PushTransport`` (the SSRF guard; a refused endpoint is ``failed`` at once). 2xx: ``sent``. 404/410: the push service says the
  subscription is gone, so it is deleted (its rows with it). 429/5xx/no answer: retried with
  backoff (``federation.retry``, Retry-After honoured) for up to ``GIVE_UP_AFTER``. Other 4xx:
  ``failed``.

A worker killed mid-send only delays the row until its lease runs out; the next claim sends it
again (at least once: a device may, rarely, show a notification twice).

The payload is Mastodon's push notification JSON without the access token: ``notification_id``
(a client fetches the full notification with its own token), ``notification_type``, ``title``,
``body``, ``icon``, ``preferred_locale``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPusher
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.case_titles import case_title
from fediverse_cases.core.notification_types import notification_type
from fediverse_cases.federation import retry
from fediverse_cases.federation.state import FederationState
from fediverse_cases.federation.workers import JobLoop
from fediverse_cases.services.push_subscriptions import ensure_vapid_key, wants
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import (
    Account,
    Actor,
    Case,
    Comment,
    Follow,
    Notification,
    OAuthToken,
    PushDelivery,
    PushSubscription,
)
from fediverse_cases.storage.repositories.work_queue import claim_due

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
BATCH = 20
RETRY_BASE = timedelta(seconds=5)
MAX_ATTEMPTS = 16
# Mastodon keeps a push for 48 hours too; a page older than that is no use on a lock screen.
GIVE_UP_AFTER = timedelta(hours=48)
TTL_SECONDS = 48 * 3600
VAPID_LIFETIME = timedelta(hours=12)
BODY_CHARACTERS = 140


def job_loop(state: FederationState, lease: timedelta = DEFAULT_LEASE) -> JobLoop:
    """The push queue as one more worker loop."""
    return JobLoop("push", lambda: run_once(state, lease=lease), state.wake.push, tables=("push_deliveries",))


def wake(state: FederationState) -> None:
    """After committing a notification: let this process's push worker look at once."""
    state.wake.push.set()


async def run_once(
    state: FederationState,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
    lease: timedelta = DEFAULT_LEASE,
) -> int:
    """Claim up to ``limit`` due rows and handle them; returns how many were claimed."""
    now = now or utcnow()
    async with state.transaction() as db:
        rows = list(
            await claim_due(
                db,
                PushDelivery,
                now=now,
                lease_until=now + lease,
                limit=limit,
                order_by=(PushDelivery.next_attempt_at, PushDelivery.id),
                also_set={"attempts": PushDelivery.attempts + 1},
            )
        )
    # Concurrently, so one slow push service does not hold up everyone else's devices.
    await asyncio.gather(*(_handle(state, row) for row in rows))
    return len(rows)


async def _handle(state: FederationState, row: PushDelivery) -> None:
    try:
        if row.subscription_id is None:
            await _fan_out(state, row)
        else:
            await _send(state, row)
    except Exception as failure:  # retried with backoff, never lost
        log.exception("push delivery %s failed", row.id)
        await _retry_or_fail(state, row, None, None, f"{type(failure).__name__}: {failure}")


def _still_ours(row: PushDelivery) -> tuple[Any, ...]:
    """Still pending and nobody claimed it since we did (each claim counts an attempt)."""
    return (PushDelivery.id == row.id, PushDelivery.state == "pending", PushDelivery.attempts == row.attempts)


async def _settle(db: AsyncSession, row: PushDelivery, **values: Any) -> bool:
    result = await db.execute(
        update(PushDelivery)
        .where(*_still_ours(row))
        .values(locked_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1


async def _fan_out(state: FederationState, row: PushDelivery) -> None:
    async with state.transaction() as db:
        gone = await db.execute(delete(PushDelivery).where(*_still_ours(row)))
        if (gone.rowcount or 0) != 1:
            return  # taken over by another worker
        notification = await db.get(Notification, row.notification_id)
        if notification is None:
            return
        subscriptions = await _live_subscriptions(db, notification.account_id)
        kind = notification_type(notification.kind)
        added = 0
        for subscription in subscriptions:
            if wants(subscription, kind) and await _policy_allows(db, subscription, notification):
                db.add(
                    PushDelivery(
                        notification_id=notification.id,
                        subscription_id=subscription.id,
                        urgency=row.urgency,
                        state="pending",
                        attempts=0,
                        next_attempt_at=utcnow(),
                        last_error="",
                    )
                )
                added += 1
    if added:
        wake(state)


async def _live_subscriptions(db: AsyncSession, account_id: int) -> Sequence[PushSubscription]:
    """The account's subscriptions, unless the account is disabled; an app's only while its
    token is valid (a revoked or expired token's app hears nothing more)."""
    now = utcnow()
    rows = await db.execute(
        select(PushSubscription)
        .join(Account, Account.id == PushSubscription.account_id)
        .outerjoin(OAuthToken, OAuthToken.id == PushSubscription.token_id)
        .where(
            PushSubscription.account_id == account_id,
            Account.disabled.is_(False),
            or_(
                PushSubscription.token_id.is_(None),
                and_(
                    OAuthToken.revoked_at.is_(None),
                    or_(OAuthToken.expires_at.is_(None), OAuthToken.expires_at > now),
                ),
            ),
        )
        .order_by(PushSubscription.id)
    )
    return rows.scalars().all()


async def _policy_allows(
    db: AsyncSession, subscription: PushSubscription, notification: Notification
) -> bool:
    """Mastodon's policy: from everyone, people I follow, my followers, or no one. Notifications
    from nobody (a reviewer's decision on my case) come under every policy but ``none``."""
    if subscription.policy == "none":
        return False
    if subscription.policy == "all" or notification.from_actor_id is None:
        return True
    me = (
        await db.execute(select(Actor.id).where(Actor.account_id == notification.account_id))
    ).scalar_one_or_none()
    if me is None:
        return False
    follower, followed = (
        (notification.from_actor_id, me)
        if subscription.policy == "follower"
        else (me, notification.from_actor_id)
    )
    found = await db.execute(
        select(Follow.id).where(
            Follow.follower_id == follower, Follow.followed_id == followed, Follow.state == "accepted"
        )
    )
    return found.first() is not None


@dataclass(frozen=True)
class PushMessage:
    endpoint: str
    body: bytes
    headers: dict[str, str]


async def _prepare(state: FederationState, row: PushDelivery) -> PushMessage | None:
    """The encrypted, signed request for this row; None when its subscription or notification
    went meanwhile (the row goes with them)."""
    async with state.transaction() as db:
        subscription = await db.get(PushSubscription, row.subscription_id)
        notification = await db.get(Notification, row.notification_id)
        if subscription is None or notification is None:
            return None
        payload = await push_payload(db, state, notification)
        key = await ensure_vapid_key(db)
    encrypted = WebPusher(
        {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
    ).encode(orjson.dumps(payload), "aes128gcm")
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Encoding": "aes128gcm",
        "TTL": str(TTL_SECONDS),
        "Urgency": row.urgency,
        **vapid_headers(key.private_pem, subscription.endpoint, state.settings),
    }
    return PushMessage(subscription.endpoint, encrypted["body"], headers)


def vapid_headers(private_pem: str, endpoint: str, settings: Any) -> dict[str, str]:
    """RFC 8292 ``Authorization: vapid t=<JWT>, k=<public key>`` for the endpoint's origin."""
    parts = urlsplit(endpoint)
    private = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    # no-strict: py_vapid wants a mailto: "sub"; an https: URL (the instance) is RFC 8292's other form.
    signer = Vapid(private_key=private, conf={"no-strict": True})
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(time.time() + VAPID_LIFETIME.total_seconds()),
        "sub": settings.web_push.contact or settings.instance.base_url,
    }
    return {name: str(value) for name, value in signer.sign(claims).items()}


async def _send(state: FederationState, row: PushDelivery) -> None:
    message = await _prepare(state, row)
    if message is None:
        async with state.transaction() as db:
            await db.execute(delete(PushDelivery).where(PushDelivery.id == row.id))
        return
    outcome = await state.push_transport.post(message.endpoint, message.body, message.headers)
    if outcome.status is not None and 200 <= outcome.status < 300:
        async with state.transaction() as db:
            await _settle(db, row, state="sent", done_at=utcnow(), last_status=outcome.status, last_error="")
        return
    if outcome.refused:  # a private address nobody allowed: no retry will change that
        async with state.transaction() as db:
            await _settle(db, row, state="failed", done_at=utcnow(), last_error=outcome.error[:1000])
        return
    if outcome.status in (404, 410):
        # The push service forgot this subscription (the browser unsubscribed, the app was removed).
        async with state.transaction() as db:
            await db.execute(delete(PushSubscription).where(PushSubscription.id == row.subscription_id))
        log.info("push subscription %s is gone (HTTP %s): deleted", row.subscription_id, outcome.status)
        return
    await _retry_or_fail(state, row, outcome.status, outcome.retry_after, outcome.error)


async def _retry_or_fail(
    state: FederationState, row: PushDelivery, status: int | None, retry_after: str | None, error: str
) -> None:
    now = utcnow()
    decision = retry.next_attempt(
        row.attempts,
        status,
        retry_after,
        now,
        row.created_at,
        max_attempts=MAX_ATTEMPTS,
        base_delay=RETRY_BASE,
        give_up_after=GIVE_UP_AFTER,
    )
    detail = f"{decision.reason}: {error}"[:1000] if error else decision.reason
    async with state.transaction() as db:
        if decision.final:
            await _settle(db, row, state="failed", done_at=now, last_status=status, last_error=detail)
        else:
            await _settle(
                db, row, next_attempt_at=decision.next_attempt_at, last_status=status, last_error=detail
            )


# --- the payload -------------------------------------------------------------------------------


def _title(kind: str, name: str, instance_name: str) -> str:
    """What the lock screen shows first, in Mastodon's words where Mastodon has the type."""
    titles = {
        "comment": f"{name} commented on your case",
        "reply": f"{name} replied to your comment",
        "follow": f"{name} is now following you",
        "like": f"{name} favourited your case",
        "case_approved": "Your case was approved",
        "case_rejected": "Your case was not approved",
        "case_changes_requested": "Changes were requested on your case",
        "comment_rejected": "Your comment was not published",
        "flag": "Something was flagged for review",
        "page": f"{name} paged you",
        "page_answered": f"{name} answered your page",
        "urgent_review": "Urgent review requested",
        "page_cancelled": "Your page was cancelled",
    }
    return titles.get(kind, instance_name)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= BODY_CHARACTERS else text[: BODY_CHARACTERS - 1].rstrip() + "…"


async def push_payload(
    db: AsyncSession, state: FederationState, notification: Notification
) -> dict[str, object]:
    """Mastodon's push JSON for this notification (no access token: the device's client fetches
    the notification itself with its own). The body never carries a comment held for review
    (its text may identify a patient)."""
    base_url = state.settings.instance.base_url
    sender = await db.get(Actor, notification.from_actor_id) if notification.from_actor_id else None
    name = (sender.display_name or sender.username) if sender is not None else state.settings.instance.name
    case = await db.get(Case, notification.case_id) if notification.case_id else None
    comment = await db.get(Comment, notification.comment_id) if notification.comment_id else None
    if notification.kind == "page":
        body = notification.message  # the question, not only the case's title
    elif comment is not None and comment.state == "visible":
        body = comment.content
    elif case is not None:
        body = case_title(case)
    else:
        body = notification.message
    return {
        "notification_id": notification.id,
        "notification_type": notification_type(notification.kind),
        "preferred_locale": "en",
        "title": _excerpt(_title(notification.kind, name, state.settings.instance.name)),
        "body": _excerpt(body or notification.message),
        "icon": f"{base_url}/static/avatar-missing.png",
    }
