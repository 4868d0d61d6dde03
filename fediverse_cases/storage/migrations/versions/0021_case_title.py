"""cases have a title (required for new cases; shown in lists, notifications and the review queue)

Revision ID: 0021_case_title
Revises: 0015_one_head
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_case_title"
down_revision = "0015_one_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch table rebuild): the cases table carries full-text-search triggers.
    op.add_column("cases", sa.Column("title", sa.String(length=200), nullable=False, server_default=""))
    op.add_column(
        "case_revisions", sa.Column("title", sa.String(length=200), nullable=False, server_default="")
    )


def downgrade() -> None:
    with op.batch_alter_table("case_revisions", schema=None) as batch_op:
        batch_op.drop_column("title")
    op.drop_column("cases", "title")
