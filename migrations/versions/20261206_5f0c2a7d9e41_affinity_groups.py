"""Affinity groups: proposals, their members, the space each open group talks in.

Revision ID: 5f0c2a7d9e41
Revises: 180c822d9908
Create Date: 2026-12-06 10:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f0c2a7d9e41"
down_revision: str | None = "180c822d9908"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "affinity_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("topic_key", sa.String(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("proposer_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("proposal_channel_id", sa.String(), nullable=False),
        sa.Column("proposal_message_id", sa.String(), nullable=True),
        sa.Column("space_channel_id", sa.String(), nullable=True),
        sa.Column("space_thread_id", sa.String(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("deadline_at", _WHEN, nullable=False),
        sa.Column("opened_at", _WHEN, nullable=True),
        sa.Column("notice_at", _WHEN, nullable=True),
        sa.Column("ended_at", _WHEN, nullable=True),
        sa.Column("ended_by", sa.String(), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposing', 'open', 'expired', 'archived', 'closed')",
            name=op.f("ck_affinity_groups_status"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_affinity_groups_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affinity_groups")),
    )
    op.create_index(
        "ix_affinity_groups_community_status",
        "affinity_groups",
        ["community_id", "status"],
        unique=False,
    )
    op.create_table(
        "affinity_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["affinity_groups.id"],
            name=op.f("fk_affinity_group_members_group_id_affinity_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_affinity_group_members_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "member_id", name=op.f("pk_affinity_group_members")),
    )
    op.create_index(
        "ix_affinity_group_members_member",
        "affinity_group_members",
        ["community_id", "member_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_affinity_group_members_member", table_name="affinity_group_members")
    op.drop_table("affinity_group_members")
    op.drop_index("ix_affinity_groups_community_status", table_name="affinity_groups")
    op.drop_table("affinity_groups")
