"""consent scope: the audience the patient agreed to, and the hashed withdrawal code and check

Revision ID: 0011_consent_scope
Revises: 0010_held_comments
"""

from __future__ import annotations

import sqlalchemy as sa

import fediverse_cases.storage.base
from alembic import op

revision = "0011_consent_scope"
down_revision = "0010_held_comments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audience", sa.String(length=16), nullable=False, server_default="local"))
        batch_op.add_column(
            sa.Column("withdrawal_code_hash", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("withdrawal_code_issued_at", fediverse_cases.storage.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("check_salt", sa.String(length=32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("check_hash", sa.String(length=64), nullable=False, server_default=""))
        batch_op.create_index("ix_consents_withdrawal_code_hash", ["withdrawal_code_hash"], unique=False)
    # Consent recorded before audiences existed was accepted for the visibility the case has:
    # record exactly that, never wider.
    op.execute(
        "UPDATE consents SET audience = (SELECT cases.visibility FROM cases WHERE cases.id = consents.case_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_withdrawal_code_hash")
        batch_op.drop_column("check_hash")
        batch_op.drop_column("check_salt")
        batch_op.drop_column("withdrawal_code_issued_at")
        batch_op.drop_column("withdrawal_code_hash")
        batch_op.drop_column("audience")
