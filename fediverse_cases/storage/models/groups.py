"""Tables of specialty groups (FEP-1b12): the groups this instance hosts, their moderators, and
the posts that travel through a group.

A group is an ``Actor`` of type ``Group`` (keys, inbox, followers like any local actor); its
members are the accepted ``Follow`` rows of that actor, a pending one waits for a moderator.
``Group`` holds what only a hosted group has (specialty, join policy); ``GroupModerator`` names
the local accounts that moderate it. ``GroupPost`` ties a case or comment to a group, local or
remote: at the author's home it records that the author addressed the group; at the group's
home it keeps the author's original activity (announced unchanged) and the Announce id; at a
member's instance it records what the group announced, so the group feed can show it and a
moderator's removal can hide it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    specialty: Mapped[str] = mapped_column(String(100), default="")
    # local | peers | approval (core.groups.JoinPolicy)
    join_policy: Mapped[str] = mapped_column(String(16), default="peers")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = ({"sqlite_autoincrement": True},)


class GroupModerator(Base):
    __tablename__ = "group_moderators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))

    __table_args__ = (
        UniqueConstraint("group_id", "account_id", name="uq_group_moderators_pair"),
        {"sqlite_autoincrement": True},
    )


class GroupPost(Base):
    __tablename__ = "group_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    object_ap_id: Mapped[str] = mapped_column(String(2048))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=True, index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
    )
    # addressed (author's home) | announced (group's home) | received (member's instance) | removed
    state: Mapped[str] = mapped_column(String(16), default="addressed")
    # At the group's home: the author's activity exactly as received, announced unchanged.
    activity: Mapped[str] = mapped_column(Text, default="")
    announce_id: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("group_actor_id", "object_ap_id", name="uq_group_posts_group_object"),
        {"sqlite_autoincrement": True},
    )
