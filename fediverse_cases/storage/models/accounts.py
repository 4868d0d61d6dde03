"""Tables for people and actors: local accounts, ActivityPub actors (local and remote), follows.

Every person who can appear on a page is an ``Actor``; a local person additionally has an
``Account`` (login, role, verification). Remote actors have no account. The hospital itself is
a local ``Service`` actor without an account (the instance actor).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    occupation: Mapped[str] = mapped_column(String(100), default="")
    specialty: Mapped[str] = mapped_column(String(100), default="")
    licence_number: Mapped[str] = mapped_column(String(64), default="")
    institution: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    verification_status: Mapped[str] = mapped_column(String(20), default="none", index=True)
    verification_note: Mapped[str] = mapped_column(Text, default="")
    verification_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Follow requests wait for the person's answer instead of being accepted at once.
    approve_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[Actor | None] = relationship(back_populates="account", lazy="raise", uselist=False)


class Actor(Base):
    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_type: Mapped[str] = mapped_column(String(20), default="Person")
    username: Mapped[str] = mapped_column(String(100))
    host: Mapped[str] = mapped_column(String(255), index=True)
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    display_name: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    profile_url: Mapped[str] = mapped_column(String(2048), default="")
    inbox_url: Mapped[str] = mapped_column(String(2048), default="")
    shared_inbox_url: Mapped[str] = mapped_column(String(2048), default="")
    outbox_url: Mapped[str] = mapped_column(String(2048), default="")
    followers_url: Mapped[str] = mapped_column(String(2048), default="")
    following_url: Mapped[str] = mapped_column(String(2048), default="")
    public_key_id: Mapped[str] = mapped_column(String(2048), default="")
    public_key_pem: Mapped[str] = mapped_column(Text, default="")
    private_key_pem: Mapped[str] = mapped_column(Text, default="")
    ed25519_key_id: Mapped[str] = mapped_column(String(2048), default="")
    ed25519_public_multibase: Mapped[str] = mapped_column(String(200), default="")
    ed25519_private_pem: Mapped[str] = mapped_column(Text, default="")
    verified_professional: Mapped[bool] = mapped_column(Boolean, default=False)
    manually_approves_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    profession: Mapped[str] = mapped_column(String(100), default="")
    vouched: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account | None] = relationship(back_populates="actor", lazy="raise")

    __table_args__ = (Index("ix_actors_username_host", "username", "host"),)

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.host}"


class Follow(Base):
    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    followed_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    activity_uri: Mapped[str | None] = mapped_column(String(2048), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("follower_id", "followed_id", name="uq_follows_pair"),)
