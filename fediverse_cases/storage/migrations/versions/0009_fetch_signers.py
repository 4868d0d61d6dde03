"""signed fetches record their signing actor (so withdrawal reaches its real inbox); one head

Revision ID: 0009_fetch_signers
Revises: 0003_federation, 0004_search, 0006_oauth_api, 0008_erasure_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_fetch_signers"
down_revision = ("0003_federation", "0004_search", "0006_oauth_api", "0008_erasure_jobs")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("object_fetches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signer_actor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_object_fetches_signer_actor_id_actors"),
            "actors",
            ["signer_actor_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("object_fetches", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_object_fetches_signer_actor_id_actors"), type_="foreignkey")
        batch_op.drop_column("signer_actor_id")
