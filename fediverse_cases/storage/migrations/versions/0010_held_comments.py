"""comments held for review: why, the scanner's findings, and a remote comment's original activity

Revision ID: 0010_held_comments
Revises: 0009_fetch_signers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_held_comments"
down_revision = "0009_fetch_signers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_reason", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("held_findings", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("held_activity", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index("ix_comments_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_state")
        batch_op.drop_column("held_activity")
        batch_op.drop_column("held_findings")
        batch_op.drop_column("held_reason")
