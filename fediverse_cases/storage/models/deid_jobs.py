"""The durable queue of de-identification jobs (table ``deid_jobs``).

One ``DeidJob`` per image waiting for the engine: a new image of a draft case (``kind`` "image",
``case_id`` set; the ``CaseImage`` row is written only when the engine accepts it, so a case image
row always names a clean image), a manual redaction re-run of an existing case image ("redact",
``image_id`` set), a client-API upload ("api_media", ``media_upload_id`` set), the stack of a
DICOM series received from the PACS ("stack", ``image_id`` is its key image; the originals are
the series' own, so ``original_key`` is empty) or the stacks a peer's case links
("remote_stack", ``case_id`` the remote case; fetched from its origin). The un-redacted
original lives in the private store under ``original_key``. Workers claim rows with a lease
(``storage.repositories.work_queue``) exactly like deliveries.

States: ``pending`` (waiting or, while ``locked_until`` is in the future, running) -> ``done`` |
``failed`` (``last_error`` is the reason shown to the clinician) | ``needs_review`` (the engine
would have covered more than its set share of the image: ``proposed`` holds its boxes and
nothing was stored; the clinician decides in the editor and the job runs again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class DeidJob(Base):
    __tablename__ = "deid_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # image | redact | api_media | stack | remote_stack
    kind: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=True, index=True
    )
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_images.id", ondelete="CASCADE"), nullable=True
    )
    media_upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_uploads.id", ondelete="CASCADE"), nullable=True
    )
    original_key: Mapped[str] = mapped_column(String(64), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    declared_type: Mapped[str] = mapped_column(String(100), default="")
    # The clinician's boxes and crop, in original-image pixels (Box.to_json()).
    regions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    crop: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Media key the running attempt writes under (for the stack kinds: the seed its many keys are
    # derived from, media.attempt_keys), recorded before the files are written, so the next
    # attempt removes what a killed worker left half-written.
    output_key: Mapped[str] = mapped_column(String(64), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    # needs_review: {"boxes": [...], "coverage": 0.62, "threshold": 0.35, "reason": "..."}
    proposed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Set on the re-run the clinician confirmed after a hand-over: becomes the image's review note.
    handover_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_deid_jobs_due", "state", "next_attempt_at"),)
