"""Tables of paging: who is on call for a group, the pages clinicians send to a group's on-call
members, and each page's recipients.

``OnCall``: a local account's on-call setting for one group (hosted here or at another
hospital): always (``enabled``, the toggle) and/or a weekly schedule (``schedule_days``: weekday
digits, Monday = 0; ``schedule_start``/``schedule_end``: ``HH:MM`` in UTC). Each hospital keeps
its own clinicians' settings: a page reaches every member's hospital, which tells only those
on call (until the page escalates).

``Page``: at the group's home (``is_local``) the page a member sent; at a member's hospital the
page as received (``ap_id`` is the page Note's id, so a duplicate delivery is one page). States:
``review`` (the case waits for an urgent review; sent once approved) -> ``sent``, or
``cancelled`` (the reviewer rejected the case).
``first_answer_at`` is the first comment on the case by a recipient after the page was sent.

``PageRecipient``: one person the page was for; ``on_call`` False means the escalation added
them. ``seen_at``/``answered_at`` are what the page view shows (for remote recipients, from their
hospital's ``View`` of the page and from their comment arriving here).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class OnCall(Base):
    __tablename__ = "on_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    group_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule_days: Mapped[str] = mapped_column(String(7), default="")
    schedule_start: Mapped[str] = mapped_column(String(5), default="")
    schedule_end: Mapped[str] = mapped_column(String(5), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("account_id", "group_actor_id", name="uq_on_call_account_group"),
        {"sqlite_autoincrement": True},
    )


class Page(Base):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ap_id: Mapped[str] = mapped_column(String(2048), unique=True)
    is_local: Mapped[bool] = mapped_column(Boolean, default=True)
    group_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    requester_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    # The case, when held here (a received page may name a case this hospital has not got).
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=True, index=True
    )
    case_ap_id: Mapped[str] = mapped_column(String(2048), default="")
    urgency: Mapped[str] = mapped_column(String(8))  # now | today
    question: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="sent")  # review | sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_pages_unanswered", "is_local", "state", "first_answer_at", "escalated_at"),
        {"sqlite_autoincrement": True},
    )


class PageRecipient(Base):
    __tablename__ = "page_recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    on_call: Mapped[bool] = mapped_column(Boolean, default=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), nullable=True, index=True
    )
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("page_id", "actor_id", name="uq_page_recipients_pair"),
        {"sqlite_autoincrement": True},
    )
