"""Remembered tombstones of remote objects.

``ContentTombstone`` remembers every remote object a peer deleted (a Delete may arrive before
its Create; a later Create for a tombstoned id is ignored, so a withdrawn case cannot come back).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class ContentTombstone(Base):
    __tablename__ = "content_tombstones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ap_id: Mapped[str] = mapped_column(String(2048), unique=True)
    former_type: Mapped[str] = mapped_column(String(40), default="Note")
    origin_host: Mapped[str] = mapped_column(String(255), default="", index=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
