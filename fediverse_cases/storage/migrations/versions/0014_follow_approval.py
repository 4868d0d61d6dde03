"""clinicians may approve followers by hand (Mastodon's locked accounts)

Revision ID: 0014_follow_approval
Revises: 0013_peer_drops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_follow_approval"
down_revision = "0013_peer_drops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approve_followers", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("manually_approves_followers", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_column("manually_approves_followers")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("approve_followers")
