"""case revisions: edits of published cases, reviewed when they touch caption or alt text

Revision ID: 0012_case_revisions
Revises: 0010_held_comments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0012_case_revisions"
down_revision = "0010_held_comments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("content_warning", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("alt_texts", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("author_account_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_account_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_revisions_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_account_id"],
            ["accounts.id"],
            name=op.f("fk_case_revisions_author_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_account_id"],
            ["accounts.id"],
            name=op.f("fk_case_revisions_reviewer_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_revisions")),
    )
    with op.batch_alter_table("case_revisions", schema=None) as batch_op:
        batch_op.create_index("ix_case_revisions_case_state", ["case_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_table("case_revisions")
