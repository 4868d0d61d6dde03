"""join the consent-scope and case-edit branches into one head

Revision ID: 0015_one_head
Revises: 0011_consent_scope, 0014_follow_approval
"""

from __future__ import annotations

revision = "0015_one_head"
down_revision = ("0011_consent_scope", "0014_follow_approval")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
