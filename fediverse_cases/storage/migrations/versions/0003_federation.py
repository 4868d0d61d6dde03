"""federation: peers, deliveries, inbox items, object fetches

Revision ID: 0003_federation
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0003_federation"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = fediverse_cases.storage.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "peers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("scheme", sa.String(length=8), nullable=False),
        sa.Column("vouch_professionals", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("last_success_at", UTC(timezone=True), nullable=True),
        sa.Column("last_failure_at", UTC(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("unreachable_since", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peers")),
        sa.UniqueConstraint("host", name=op.f("uq_peers_host")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.String(length=2048), nullable=False),
        sa.Column("activity_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=2048), nullable=True),
        sa.Column("sender_actor_id", sa.Integer(), nullable=False),
        sa.Column("inbox_url", sa.String(length=2048), nullable=False),
        sa.Column("peer_host", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(timezone=True), nullable=False),
        sa.Column("locked_until", UTC(timezone=True), nullable=True),
        sa.Column("first_attempt_at", UTC(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("done_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sender_actor_id"],
            ["actors.id"],
            name=op.f("fk_deliveries_sender_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_deliveries_object_id"), "deliveries", ["object_id"], unique=False)
    op.create_index(op.f("ix_deliveries_peer_host"), "deliveries", ["peer_host"], unique=False)
    op.create_index(op.f("ix_deliveries_sender_actor_id"), "deliveries", ["sender_actor_id"], unique=False)
    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.String(length=2048), nullable=False),
        sa.Column("activity_type", sa.String(length=40), nullable=False),
        sa.Column("signer_actor_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("forwarded", sa.Boolean(), nullable=False),
        sa.Column("refetch", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(timezone=True), nullable=False),
        sa.Column("locked_until", UTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.Column("processed_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["signer_actor_id"],
            ["actors.id"],
            name=op.f("fk_inbox_items_signer_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_items")),
        sa.UniqueConstraint("activity_id", name=op.f("uq_inbox_items_activity_id")),
    )
    op.create_index("ix_inbox_items_due", "inbox_items", ["state", "next_attempt_at"], unique=False)
    op.create_table(
        "object_fetches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.String(length=2048), nullable=False),
        sa.Column("peer_host", sa.String(length=255), nullable=False),
        sa.Column("fetched_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_object_fetches")),
        sa.UniqueConstraint("object_id", "peer_host", name="uq_object_fetches_object_peer"),
    )
    op.create_index(op.f("ix_object_fetches_object_id"), "object_fetches", ["object_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_object_fetches_object_id"), table_name="object_fetches")
    op.drop_table("object_fetches")
    op.drop_index("ix_inbox_items_due", table_name="inbox_items")
    op.drop_table("inbox_items")
    op.drop_index(op.f("ix_deliveries_sender_actor_id"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_peer_host"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_object_id"), table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("peers")
