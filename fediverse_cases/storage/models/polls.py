"""Differential polls on cases and the votes cast in them.

A ``Poll`` belongs to one case (local or received from a peer): 2-8 candidate diagnoses, one or
several choices allowed. A local poll closes ``duration_seconds`` after its case is published
(the clinician sets the duration in the composer; review time does not eat into it); a remote
poll keeps the ``expires_at`` and the tallies its home instance last sent (``remote_counts``).
A ``PollVote`` is one chosen option of one actor: the unique key makes a person's vote count
once wherever it arrives from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class Poll(Base):
    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)  # option titles, in order
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)  # local polls
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # remote polls
    # Remote polls: the tallies per option and the voter count as the home instance last sent them.
    remote_counts: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    remote_voters_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PollVote(Base):
    __tablename__ = "poll_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    choice: Mapped[int] = mapped_column(Integer)
    # The vote Note's id: a peer's for a vote received, ours for a vote sent to a remote poll.
    ap_id: Mapped[str | None] = mapped_column(String(2048), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("poll_id", "actor_id", "choice", name="uq_poll_votes_poll_actor_choice"),
        Index("ix_poll_votes_actor_poll", "actor_id", "poll_id"),
    )
