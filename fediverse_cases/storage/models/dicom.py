"""A DICOM series received from a PACS (STOW-RS or C-STORE) and turned into one image of a draft
case: where its original instances and its de-identified DICOM derivative are kept (private store
keys, in stack order) and the PS3.15 record of what was done to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class DicomSeries(Base):
    __tablename__ = "dicom_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    case_image_id: Mapped[int] = mapped_column(ForeignKey("case_images.id", ondelete="CASCADE"), index=True)
    # "stow-rs" or "c-store".
    received_via: Mapped[str] = mapped_column(String(16))
    modality: Mapped[str] = mapped_column(String(16), default="")
    instance_count: Mapped[int] = mapped_column(Integer, default=0)
    # Private store keys of the original instances, ordered as the stack (never shared).
    original_keys: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Private store key of the de-identified PS3.10 file of the key instance.
    derivative_key: Mapped[str] = mapped_column(String(64), default="")
    # DeidentificationRecord.to_json(): codes, method and the sentences the pages show.
    deidentification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
