"""What each peer sent that we did not keep, counted by reason (the peers page shows it), so an
admin sees when a peer's posts never appear here and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class PeerDrop(Base):
    __tablename__ = "peer_drops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_host: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(120))
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_id: Mapped[str] = mapped_column(String(2048), default="")

    __table_args__ = (UniqueConstraint("peer_host", "reason", name="uq_peer_drops_host_reason"),)
