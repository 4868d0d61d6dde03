"""Tables for clinical cases and everything hanging off them.

A case (local or received from a peer) has images (de-identified media only; the private
original's key is kept only until retention says otherwise), tags, one private consent record
(local cases), review decisions, comments (threaded one level), likes, flags and notifications.
Remote cases and comments carry the ActivityPub id of their origin in ``ap_id``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    ap_id: Mapped[str] = mapped_column(String(2048), unique=True)
    author_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    is_local: Mapped[bool] = mapped_column(Boolean, default=True)
    # draft | pending | changes_requested | published | rejected | withdrawn
    state: Mapped[str] = mapped_column(String(24), default="draft")
    # public | followers | local
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    # Required for new local cases; remote cases take the Note's ``name`` (may be empty).
    title: Mapped[str] = mapped_column(String(200), default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    content_warning: Mapped[str] = mapped_column(String(300), default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    review_note: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_cases_feed", "state", "hidden", "published_at", "id"),
        Index("ix_cases_author_feed", "author_actor_id", "state", "published_at"),
    )


class CaseImage(Base):
    __tablename__ = "case_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Random key naming the de-identified files in the media store; empty for not-yet-cached remote media.
    media_key: Mapped[str] = mapped_column(String(64), default="", index=True)
    media_type: Mapped[str] = mapped_column(String(32), default="image/jpeg")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    display_width: Mapped[int] = mapped_column(Integer, default=0)
    display_height: Mapped[int] = mapped_column(Integer, default=0)
    thumbnail_width: Mapped[int] = mapped_column(Integer, default=0)
    thumbnail_height: Mapped[int] = mapped_column(Integer, default=0)
    blurhash: Mapped[str] = mapped_column(String(200), default="")
    alt_text: Mapped[str] = mapped_column(Text, default="")
    deid_report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    manual_regions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    crop: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Key of the un-redacted upload in the private area; cleared when the original is deleted.
    original_key: Mapped[str] = mapped_column(String(64), default="")
    remote_url: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the engine handed this image over (it would have covered too much) and the
    # clinician decided the boxes: the reviewer sees it. Never federated.
    review_note: Mapped[str] = mapped_column(Text, default="")


class CaseTag(Base):
    __tablename__ = "case_tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(64))
    is_specialty: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("case_id", "tag", name="uq_case_tags_case_tag"),
        Index("ix_case_tags_tag_case", "tag", "case_id"),
    )


class Consent(Base):
    """Private: shown to the author, reviewers and admins; never published or federated."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    # signed_form | verbal_witnessed | institutional_waiver
    method: Mapped[str] = mapped_column(String(32))
    consent_date: Mapped[date] = mapped_column(Date)
    obtained_by: Mapped[str] = mapped_column(String(200))
    witness: Mapped[str] = mapped_column(String(200), default="")
    form_key: Mapped[str] = mapped_column(String(64), default="")
    form_media_type: Mapped[str] = mapped_column(String(64), default="")
    recorded_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The widest audience the patient agreed to (local | followers | public, see core.consent_scope);
    # the case's visibility may never be wider.
    audience: Mapped[str] = mapped_column(String(16), default="local")
    # HMAC of the patient's withdrawal code (core.withdrawal_codes); empty until a form is printed.
    withdrawal_code_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    withdrawal_code_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Salted HMAC of the second check (date of birth); the date itself is never stored.
    check_salt: Mapped[str] = mapped_column(String(32), default="")
    check_hash: Mapped[str] = mapped_column(String(64), default="")


class ReviewDecision(Base):
    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewer_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    # approve | reject | changes
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    ap_id: Mapped[str] = mapped_column(String(2048), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
    )
    author_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    is_local: Mapped[bool] = mapped_column(Boolean, default=True)
    content: Mapped[str] = mapped_column(Text, default="")
    # Sanitized HTML as received from a peer (empty for local comments, which are plain text).
    content_html: Mapped[str] = mapped_column(Text, default="")
    # visible | held (waits for a reviewer: shown to nobody else) | hidden | deleted
    state: Mapped[str] = mapped_column(String(16), default="visible")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Why a held comment waits, the scanner's findings ([start, end, kind], for highlighting),
    # and for a remote comment the activity as received (forwarded unchanged once approved).
    held_reason: Mapped[str] = mapped_column(String(200), default="")
    held_findings: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    held_activity: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_comments_case_created", "case_id", "created_at"),
        Index("ix_comments_state", "state"),
    )


class Like(Base):
    __tablename__ = "likes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    ap_id: Mapped[str | None] = mapped_column(String(2048), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("case_id", "actor_id", name="uq_likes_case_actor"),)


class Flag(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
    )
    reporter_actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="SET NULL"), nullable=True
    )
    ap_id: Mapped[str | None] = mapped_column(String(2048), unique=True, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # open | upheld | dismissed
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    decided_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # case_approved | case_rejected | case_changes_requested | comment | reply | follow | like | flag
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
    )
    from_actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), nullable=True
    )
    message: Mapped[str] = mapped_column(Text, default="")
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_notifications_account_created", "account_id", "id"),)
