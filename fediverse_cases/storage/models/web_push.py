"""Web Push: the instance's VAPID key, people's push subscriptions, and the durable queue of
pushes to send (table ``push_deliveries``).

``VapidKey``: one row per purpose ("instance"), the P-256 key that signs every push (RFC 8292);
kept in the database like the instance actor's keys, created at ``init`` or on first use.

``PushSubscription``: a browser's or a client app's push endpoint and its RFC 8291 keys (the
receiver's ``p256dh`` public key and ``auth`` secret), with which notification types it wants
(``alerts``) and from whom (``policy``). A client-API subscription belongs to its access token
(``token_id``, one per token as in Mastodon; it goes when the token is revoked); a web UI
subscription has no token and is identified by its endpoint.

``PushDelivery``: one pending push. Written in the transaction that creates the notification
with ``subscription_id`` empty (a *fan-out* row); the push worker turns it, in one transaction,
into one row per matching subscription, then sends each with retries (``work_queue.claim_due``
leases, as deliveries). States: ``pending`` -> ``sent`` | ``gone`` (404/410: the subscription
is deleted) | ``failed``; fan-out rows go once expanded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow
from fediverse_cases.storage.models.cases import Notification


class VapidKey(Base):
    __tablename__ = "vapid_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    # Uncompressed P-256 point, base64url: what clients pass to PushManager.subscribe.
    public_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushSubscription(Base):
    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_tokens.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    endpoint: Mapped[str] = mapped_column(String(2048))
    p256dh: Mapped[str] = mapped_column(String(256))
    auth: Mapped[str] = mapped_column(String(64))
    # Mastodon alert names -> wanted (mention, follow, favourite, reblog, poll, status, update, ...).
    alerts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # all | followed | follower | none
    policy: Mapped[str] = mapped_column(String(16), default="all")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushDelivery(Base):
    __tablename__ = "push_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    # Empty: the fan-out row, not yet expanded into one row per subscription.
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # RFC 8030 Urgency: very-low | low | normal | high (a page is "high": phones wake for it).
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # Set when queued with a notification not flushed yet: the flush fills in its id.
    notification: Mapped[Notification] = relationship(lazy="raise")

    __table_args__ = (Index("ix_push_deliveries_due", "state", "next_attempt_at"),)
