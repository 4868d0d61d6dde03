"""de-identification jobs: the durable queue of image de-identification, and the review note
an image carries after the engine handed it over to the clinician

Revision ID: 0016_deid_jobs
Revises: 0015_one_head
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0016_deid_jobs"
down_revision = "0015_one_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = fediverse_cases.storage.base.UTCDateTime(timezone=True)
    op.create_table(
        "deid_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("media_upload_id", sa.Integer(), nullable=True),
        sa.Column("original_key", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("declared_type", sa.String(length=100), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("crop", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", when, nullable=False),
        sa.Column("locked_until", when, nullable=True),
        sa.Column("started_at", when, nullable=True),
        sa.Column("output_key", sa.String(length=64), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=True),
        sa.Column("handover_note", sa.Text(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("done_at", when, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_deid_jobs_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["case_images.id"],
            name=op.f("fk_deid_jobs_image_id_case_images"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["media_upload_id"],
            ["media_uploads.id"],
            name=op.f("fk_deid_jobs_media_upload_id_media_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deid_jobs")),
    )
    with op.batch_alter_table("deid_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_deid_jobs_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deid_jobs_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("case_images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("case_images", schema=None) as batch_op:
        batch_op.drop_column("review_note")
    with op.batch_alter_table("deid_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deid_jobs_case_id"))
        batch_op.drop_index("ix_deid_jobs_due")
    op.drop_table("deid_jobs")
