"""The durable queue of automatic erasure re-checks.

One ``ErasureJob`` per withdrawn local case: written by the delivery worker, in the same
transaction as the outcome of the last ``Delete`` delivery of the case, and processed by the
erasure worker (``federation/erasure_jobs.py``), which asks every peer whether it still holds a
copy and records the answers as ``ErasureCheck`` rows. Never an in-memory or fire-and-forget task.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
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
