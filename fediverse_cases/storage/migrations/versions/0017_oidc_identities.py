"""OpenID Connect sign-in: linked provider identities and single-use pending sign-ins

Revision ID: 0017_oidc_identities
Revises: 0015_one_head
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0017_oidc_identities"
down_revision = "0015_one_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=2048), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("claimed_roles", sa.String(length=100), nullable=False),
        sa.Column("created_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_oidc_identities_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_identities")),
        sa.UniqueConstraint("provider", "subject", name="uq_oidc_identities_provider_subject"),
    )
    op.create_index(op.f("ix_oidc_identities_account_id"), "oidc_identities", ["account_id"], unique=False)
    op.create_table(
        "oidc_login_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("link_account_id", sa.Integer(), nullable=True),
        sa.Column("next_path", sa.String(length=2048), nullable=False),
        sa.Column("created_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_account_id"],
            ["accounts.id"],
            name=op.f("fk_oidc_login_states_link_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_login_states")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oidc_login_states_state_hash")),
    )
    op.create_index(
        op.f("ix_oidc_login_states_created_at"), "oidc_login_states", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_login_states_created_at"), table_name="oidc_login_states")
    op.drop_table("oidc_login_states")
    op.drop_index(op.f("ix_oidc_identities_account_id"), table_name="oidc_identities")
    op.drop_table("oidc_identities")
