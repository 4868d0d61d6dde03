"""Edits of published cases and their history.

A ``CaseRevision`` is one proposed edit of a published local case: the new caption, content
warning, tags and alt texts. An edit that changes what could identify a patient (caption, alt
text) waits ``pending`` for the reviewer while the published version stays; others apply at
once. Applying stores the version it replaced in ``previous``, so the history of a case is its
``applied`` revisions in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class CaseRevision(Base):
    __tablename__ = "case_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # pending | applied | rejected | superseded
    state: Mapped[str] = mapped_column(String(16), default="pending")
    title: Mapped[str] = mapped_column(String(200), default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    content_warning: Mapped[str] = mapped_column(Text, default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[tag, is_specialty], ...]
    alt_texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {image id: text}
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    author_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    reviewer_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_case_revisions_case_state", "case_id", "state"),)
