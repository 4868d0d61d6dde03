"""specialty groups (FEP-1b12): hosted groups, their moderators, and posts that travel through them

Revision ID: 0022_groups
Revises: 0019_ids_never_reused
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fediverse_cases.storage.base

revision = "0022_groups"
down_revision = "0019_ids_never_reused"
branch_labels = None
depends_on = None

UTC = fediverse_cases.storage.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("specialty", sa.String(length=100), nullable=False),
        sa.Column("join_policy", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_groups_actor_id_actors"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("actor_id", name=op.f("uq_groups_actor_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_groups_slug")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "group_moderators",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_group_moderators_group_id_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_group_moderators_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_moderators")),
        sa.UniqueConstraint("group_id", "account_id", name="uq_group_moderators_pair"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_group_moderators_group_id", "group_moderators", ["group_id"])
    op.create_table(
        "group_posts",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("group_actor_id", sa.Integer(), nullable=False),
        sa.Column("object_ap_id", sa.String(length=2048), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("announce_id", sa.String(length=2048), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_actor_id"],
            ["actors.id"],
            name=op.f("fk_group_posts_group_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_group_posts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_group_posts_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_posts")),
        sa.UniqueConstraint("group_actor_id", "object_ap_id", name="uq_group_posts_group_object"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_group_posts_group_actor_id", "group_posts", ["group_actor_id"])
    op.create_index("ix_group_posts_case_id", "group_posts", ["case_id"])


def downgrade() -> None:
    op.drop_table("group_posts")
    op.drop_table("group_moderators")
    op.drop_table("groups")
