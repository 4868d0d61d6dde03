"""dicom series: studies received by STOW-RS or C-STORE, one row per series of a draft case

Revision ID: 0018_dicom_intake
Revises: 0015_one_head
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0018_dicom_intake"
down_revision = "0015_one_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dicom_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_image_id", sa.Integer(), nullable=False),
        sa.Column("received_via", sa.String(length=16), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=False),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("original_keys", sa.JSON(), nullable=False),
        sa.Column("derivative_key", sa.String(length=64), nullable=False),
        sa.Column("deidentification", sa.JSON(), nullable=False),
        sa.Column("created_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_dicom_series_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["case_image_id"],
            ["case_images.id"],
            name=op.f("fk_dicom_series_case_image_id_case_images"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dicom_series")),
    )
    op.create_index(op.f("ix_dicom_series_case_id"), "dicom_series", ["case_id"], unique=False)
    op.create_index(op.f("ix_dicom_series_case_image_id"), "dicom_series", ["case_image_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dicom_series_case_image_id"), table_name="dicom_series")
    op.drop_index(op.f("ix_dicom_series_case_id"), table_name="dicom_series")
    op.drop_table("dicom_series")
