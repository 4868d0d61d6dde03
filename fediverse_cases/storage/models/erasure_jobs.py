"""The durable queue of automatic erasure re-checks.

One ``ErasureJob`` per withdrawn local case: written by the delivery worker, in the same
transaction as the outcome of the last ``Delete`` delivery of the case, and processed by the
erasure worker (``federation/erasure_jobs.py``), which asks every peer whether it still holds a
copy and records the answers as ``ErasureCheck`` rows. Never an in-memory or fire-and-forget task.

``ErasureCheck`` is the latest answer a peer gave when we re-checked a withdrawn local case, for
the erasure report: ``gone`` (404/410), ``still_served`` (2xx) or ``unreachable``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class ErasureJob(Base):
    __tablename__ = "erasure_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    # pending -> done | gave_up (gave_up: some peer still serves it or never answered)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_erasure_jobs_due", "state", "next_attempt_at"),)


class ErasureCheck(Base):
    __tablename__ = "erasure_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    peer_host: Mapped[str] = mapped_column(String(255))
    # gone | still_served | unreachable
    result: Mapped[str] = mapped_column(String(16), default="unreachable")
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("case_id", "peer_host", name="uq_erasure_checks_case_peer"),)
