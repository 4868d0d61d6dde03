"""dicom stack: every frame of a received series, de-identified at each window preset

Revision ID: 0024_dicom_stack
Revises: 0019_ids_never_reused
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_dicom_stack"
down_revision = "0023_web_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dicom_series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stack_presets", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("stack_frames", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("derivative_keys", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "dicom_stack_images",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("preset", sa.String(length=32), nullable=False),
        sa.Column("media_key", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_dicom_stack_images_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["dicom_series.id"],
            name=op.f("fk_dicom_stack_images_series_id_dicom_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dicom_stack_images")),
        sa.UniqueConstraint("media_key", name=op.f("uq_dicom_stack_images_media_key")),
        sa.UniqueConstraint("series_id", "frame", "preset", name="uq_dicom_stack_images_frame_preset"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_dicom_stack_images_case_id"), "dicom_stack_images", ["case_id"], unique=False)
    op.create_index(op.f("ix_dicom_stack_images_series_id"), "dicom_stack_images", ["series_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dicom_stack_images_series_id"), table_name="dicom_stack_images")
    op.drop_index(op.f("ix_dicom_stack_images_case_id"), table_name="dicom_stack_images")
    op.drop_table("dicom_stack_images")
    with op.batch_alter_table("dicom_series", schema=None) as batch_op:
        batch_op.drop_column("derivative_keys")
        batch_op.drop_column("stack_frames")
        batch_op.drop_column("stack_presets")
