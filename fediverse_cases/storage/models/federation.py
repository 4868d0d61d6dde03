"""Tables of the federation layer: peers (the allow-list), delivery and inbox queues, signed fetches.

``Peer`` is one remote instance an administrator allowed or blocked, with its delivery health.
``Delivery`` is one outbound POST of one activity to one inbox (the transactional outbox);
``InboxItem`` is one accepted inbound activity waiting for a worker; both are claimed by workers
with a lease (``locked_until``). ``ObjectFetch`` records which peer fetched which local object
with a signed GET, so a withdrawal can send Delete there too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class Peer(Base):
    __tablename__ = "peers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    # "allowed" or "blocked"; a removed peer has no row.
    state: Mapped[str] = mapped_column(String(16), default="allowed")
    scheme: Mapped[str] = mapped_column(String(8), default="https")
    vouch_professionals: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(2048))
    activity_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str | None] = mapped_column(String(2048), nullable=True, index=True)
    sender_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    inbox_url: Mapped[str] = mapped_column(String(2048))
    peer_host: Mapped[str] = mapped_column(String(255), index=True)
    payload: Mapped[str] = mapped_column(Text)
    # pending -> done | failed | cancelled | gave_up
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_deliveries_due", "state", "next_attempt_at"),)


class InboxItem(Base):
    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(2048), unique=True)
    activity_type: Mapped[str] = mapped_column(String(40), default="")
    signer_actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), nullable=True
    )
    payload: Mapped[str] = mapped_column(Text)
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False)
    # Space-separated IRIs the worker must fetch from their origin before trusting (origin checks).
    refetch: Mapped[str] = mapped_column(Text, default="")
    # pending -> done | failed | ignored
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_inbox_items_due", "state", "next_attempt_at"),)


class ObjectFetch(Base):
    __tablename__ = "object_fetches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[str] = mapped_column(String(2048), index=True)
    peer_host: Mapped[str] = mapped_column(String(255))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who signed the fetch: its actor document names the inbox a later Delete must reach.
    signer_actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (UniqueConstraint("object_id", "peer_host", name="uq_object_fetches_object_peer"),)
