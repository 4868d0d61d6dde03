"""differential polls on cases, their votes, confirmed case outcomes, and collections of cases

Revision ID: 0020_polls_outcomes
Revises: 0015_one_head
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0020_polls_outcomes"
down_revision = "0015_one_head"
branch_labels = None
depends_on = None

UTC = fediverse_cases.storage.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=True),
        sa.Column("remote_counts", sa.JSON(), nullable=True),
        sa.Column("remote_voters_count", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_polls_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
        sa.UniqueConstraint("case_id", name=op.f("uq_polls_case_id")),
    )
    op.create_table(
        "poll_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("ap_id", sa.String(length=2048), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_votes_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_poll_votes_actor_id_actors"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_votes")),
        sa.UniqueConstraint("ap_id", name=op.f("uq_poll_votes_ap_id")),
        sa.UniqueConstraint("poll_id", "actor_id", "choice", name="uq_poll_votes_poll_actor_choice"),
    )
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.create_index("ix_poll_votes_actor_poll", ["actor_id", "poll_id"], unique=False)
    op.create_table(
        "case_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("diagnosis", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("code_system", sa.String(length=16), nullable=False),
        sa.Column("certainty", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("author_account_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_account_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_outcomes_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_account_id"],
            ["accounts.id"],
            name=op.f("fk_case_outcomes_author_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_account_id"],
            ["accounts.id"],
            name=op.f("fk_case_outcomes_reviewer_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_outcomes")),
    )
    with op.batch_alter_table("case_outcomes", schema=None) as batch_op:
        batch_op.create_index("ix_case_outcomes_case_state", ["case_id", "state"], unique=False)
    op.create_table(
        "case_collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("owner_account_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_account_id"],
            ["accounts.id"],
            name=op.f("fk_case_collections_owner_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_collections")),
        sa.UniqueConstraint("public_id", name=op.f("uq_case_collections_public_id")),
    )
    with op.batch_alter_table("case_collections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_collections_owner_account_id"), ["owner_account_id"], unique=False
        )
    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["case_collections.id"],
            name=op.f("fk_collection_items_collection_id_case_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_collection_items_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_items")),
        sa.UniqueConstraint("collection_id", "case_id", name="uq_collection_items_collection_case"),
    )
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collection_items_collection_position", ["collection_id", "position"], unique=False
        )


def downgrade() -> None:
    op.drop_table("collection_items")
    op.drop_table("case_collections")
    op.drop_table("case_outcomes")
    op.drop_table("poll_votes")
    op.drop_table("polls")
