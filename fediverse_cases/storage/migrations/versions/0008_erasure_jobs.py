"""erasure jobs: the durable queue of automatic erasure re-checks

Revision ID: 0008_erasure_jobs
Revises: 0005_federation_content
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0008_erasure_jobs"
down_revision = "0005_federation_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasure_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_erasure_jobs_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_jobs")),
        sa.UniqueConstraint("case_id", name=op.f("uq_erasure_jobs_case_id")),
    )
    with op.batch_alter_table("erasure_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_erasure_jobs_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasure_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_erasure_jobs_due")
    op.drop_table("erasure_jobs")
