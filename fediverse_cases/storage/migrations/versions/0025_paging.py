"""paging: on-call settings, pages sent to a group's on-call members, and their recipients

Revision ID: 0025_paging
Revises: 0024_dicom_stack
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fediverse_cases.storage.base import UTCDateTime as UTC

revision = "0025_paging"
down_revision = "0024_dicom_stack"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    # ids are never reused (0019): AUTOINCREMENT on SQLite, an identity column on PostgreSQL.
    return sa.Column("id", sa.Integer(), sa.Identity(), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "on_call",
        _id(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("group_actor_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("schedule_days", sa.String(length=7), nullable=False),
        sa.Column("schedule_start", sa.String(length=5), nullable=False),
        sa.Column("schedule_end", sa.String(length=5), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        _fk("on_call", "account_id", "accounts"),
        _fk("on_call", "group_actor_id", "actors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_call")),
        sa.UniqueConstraint("account_id", "group_actor_id", name="uq_on_call_account_group"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_on_call_group_actor_id"), "on_call", ["group_actor_id"])
    op.create_table(
        "pages",
        _id(),
        sa.Column("ap_id", sa.String(length=2048), nullable=False),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("group_actor_id", sa.Integer(), nullable=False),
        sa.Column("requester_actor_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_ap_id", sa.String(length=2048), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("sent_at", UTC(timezone=True), nullable=True),
        sa.Column("escalated_at", UTC(timezone=True), nullable=True),
        sa.Column("first_answer_at", UTC(timezone=True), nullable=True),
        _fk("pages", "group_actor_id", "actors"),
        _fk("pages", "requester_actor_id", "actors"),
        _fk("pages", "case_id", "cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
        sa.UniqueConstraint("ap_id", name=op.f("uq_pages_ap_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_pages_group_actor_id"), "pages", ["group_actor_id"])
    op.create_index(op.f("ix_pages_case_id"), "pages", ["case_id"])
    op.create_index(
        "ix_pages_unanswered", "pages", ["is_local", "state", "first_answer_at", "escalated_at"]
    )
    op.create_table(
        "page_recipients",
        _id(),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("on_call", sa.Boolean(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("notified_at", UTC(timezone=True), nullable=False),
        sa.Column("seen_at", UTC(timezone=True), nullable=True),
        sa.Column("answered_at", UTC(timezone=True), nullable=True),
        _fk("page_recipients", "page_id", "pages"),
        _fk("page_recipients", "actor_id", "actors"),
        _fk("page_recipients", "notification_id", "notifications", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_recipients")),
        sa.UniqueConstraint("page_id", "actor_id", name="uq_page_recipients_pair"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_page_recipients_page_id"), "page_recipients", ["page_id"])
    op.create_index(op.f("ix_page_recipients_notification_id"), "page_recipients", ["notification_id"])


def downgrade() -> None:
    op.drop_table("page_recipients")
    op.drop_table("pages")
    op.drop_table("on_call")
