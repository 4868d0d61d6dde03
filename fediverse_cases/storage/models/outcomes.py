"""Confirmed outcomes of cases: the final diagnosis a clinician records after follow-up.

A ``CaseOutcome`` of a local case is proposed by its author (or a reviewer) and waits
``pending`` for the privacy officer like a caption edit; the ``applied`` one is the case's
outcome (a newer applied outcome supersedes the older). A remote case's outcome arrives applied
from its home instance. The proof itself (histology report, imaging) is never stored here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class CaseOutcome(Base):
    __tablename__ = "case_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # pending | applied | rejected | superseded
    state: Mapped[str] = mapped_column(String(16), default="pending")
    diagnosis: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(String(40), default="")
    code_system: Mapped[str] = mapped_column(String(16), default="")  # "" | snomed-ct | icd-10
    certainty: Mapped[str] = mapped_column(String(20), default="")
    method: Mapped[str] = mapped_column(String(20), default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    author_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    reviewer_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_case_outcomes_case_state", "case_id", "state"),)
