"""federation content: remembered tombstones and erasure re-checks

Revision ID: 0005_federation_content
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0005_federation_content"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ap_id", sa.String(length=2048), nullable=False),
        sa.Column("former_type", sa.String(length=40), nullable=False),
        sa.Column("origin_host", sa.String(length=255), nullable=False),
        sa.Column("deleted_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_tombstones")),
        sa.UniqueConstraint("ap_id", name=op.f("uq_content_tombstones_ap_id")),
    )
    with op.batch_alter_table("content_tombstones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_content_tombstones_origin_host"), ["origin_host"], unique=False)

    op.create_table(
        "erasure_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("peer_host", sa.String(length=255), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("checked_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_erasure_checks_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_checks")),
        sa.UniqueConstraint("case_id", "peer_host", name="uq_erasure_checks_case_peer"),
    )
    with op.batch_alter_table("erasure_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_checks_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasure_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_checks_case_id"))
    op.drop_table("erasure_checks")
    with op.batch_alter_table("content_tombstones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_tombstones_origin_host"))
    op.drop_table("content_tombstones")
