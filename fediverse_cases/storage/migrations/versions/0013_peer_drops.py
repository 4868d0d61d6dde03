"""peer drops: what each peer sent that was not kept, counted by reason

Revision ID: 0013_peer_drops
Revises: 0012_case_revisions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0013_peer_drops"
down_revision = "0012_case_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_drops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_host", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_id", sa.String(length=2048), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_drops")),
        sa.UniqueConstraint("peer_host", "reason", name="uq_peer_drops_host_reason"),
    )


def downgrade() -> None:
    op.drop_table("peer_drops")
