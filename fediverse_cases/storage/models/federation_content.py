"""Tables of federated content: remembered tombstones and erasure re-checks.

``ContentTombstone`` remembers every remote object a peer deleted (a Delete may arrive before
its Create; a later Create for a tombstoned id is ignored, so a withdrawn case cannot come back).
``ErasureCheck`` is the latest answer a peer gave when we re-fetched a withdrawn local case, for
the erasure report: ``gone`` (404/410), ``still_served`` (2xx) or ``unreachable``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class ContentTombstone(Base):
    __tablename__ = "content_tombstones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ap_id: Mapped[str] = mapped_column(String(2048), unique=True)
    former_type: Mapped[str] = mapped_column(String(40), default="Note")
    origin_host: Mapped[str] = mapped_column(String(255), default="", index=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
