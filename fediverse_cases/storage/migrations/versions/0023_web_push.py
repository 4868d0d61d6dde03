"""web push: the instance's VAPID key, push subscriptions and the durable queue of pushes

Revision ID: 0023_web_push
Revises: 0019_ids_never_reused
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0023_web_push"
down_revision = "0022_groups"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    # ids are never reused (0019): AUTOINCREMENT on SQLite, an identity column on PostgreSQL.
    return sa.Column("id", sa.Integer(), sa.Identity(), nullable=False)


def upgrade() -> None:
    when = fediverse_cases.storage.base.UTCDateTime(timezone=True)
    op.create_table(
        "vapid_keys",
        _id(),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vapid_keys")),
        sa.UniqueConstraint("purpose", name=op.f("uq_vapid_keys_purpose")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "push_subscriptions",
        _id(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("p256dh", sa.String(length=256), nullable=False),
        sa.Column("auth", sa.String(length=64), nullable=False),
        sa.Column("alerts", sa.JSON(), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_push_subscriptions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["oauth_tokens.id"],
            name=op.f("fk_push_subscriptions_token_id_oauth_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("token_id", name=op.f("uq_push_subscriptions_token_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_push_subscriptions_account_id"), "push_subscriptions", ["account_id"], unique=False
    )
    op.create_table(
        "push_deliveries",
        _id(),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", when, nullable=False),
        sa.Column("locked_until", when, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("done_at", when, nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_push_deliveries_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["push_subscriptions.id"],
            name=op.f("fk_push_deliveries_subscription_id_push_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_deliveries")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_push_deliveries_due", "push_deliveries", ["state", "next_attempt_at"], unique=False)
    op.create_index(
        op.f("ix_push_deliveries_notification_id"), "push_deliveries", ["notification_id"], unique=False
    )
    op.create_index(
        op.f("ix_push_deliveries_subscription_id"), "push_deliveries", ["subscription_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("push_deliveries")
    op.drop_table("push_subscriptions")
    op.drop_table("vapid_keys")
