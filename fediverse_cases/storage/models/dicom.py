"""A DICOM series received from a PACS (STOW-RS or C-STORE) and turned into one image of a draft
case: where its original instances and its de-identified DICOM derivative are kept (private store
keys, in stack order) and the PS3.15 record of what was done to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
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
    # The stack viewer (series of more than one frame): the window presets its frames were rendered
    # at (deidentify.stack.Preset.to_json(), the first is the default), the frame count, and the
    # private store keys of every instance's de-identified PS3.10 file, in stack order.
    stack_presets: Mapped[list[Any]] = mapped_column(JSON, default=list)
    stack_frames: Mapped[int] = mapped_column(Integer, default=0)
    derivative_keys: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # DeidentificationRecord.to_json(): codes, method and the sentences the pages show.
    deidentification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DicomStackImage(Base):
    """One frame of a series' stack at one window preset: a de-identified image in the shared media
    store (``media_key``), served like a case image's derivatives to whoever may see the case."""

    __tablename__ = "dicom_stack_images"
    __table_args__ = (
        UniqueConstraint("series_id", "frame", "preset", name="uq_dicom_stack_images_frame_preset"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("dicom_series.id", ondelete="CASCADE"), index=True)
    frame: Mapped[int] = mapped_column(Integer)  # 0-based position in the stack
    preset: Mapped[str] = mapped_column(String(32))
    media_key: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
