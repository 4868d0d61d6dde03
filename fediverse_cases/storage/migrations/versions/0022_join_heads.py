"""join the branches of the second round (jobs, SSO, DICOM intake, case titles) into one head

Revision ID: 0022_join_heads
Revises: 0016_deid_jobs, 0017_oidc_identities, 0018_dicom_intake, 0021_case_title
"""

from __future__ import annotations

revision = "0022_join_heads"
down_revision = ("0016_deid_jobs", "0017_oidc_identities", "0018_dicom_intake", "0021_case_title")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
