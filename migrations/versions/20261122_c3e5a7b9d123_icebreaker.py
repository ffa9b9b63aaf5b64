"""Icebreaker: activity level snapshots, invitations and welcomes with their outcomes,
member interests, champions and champion requests.

Revision ID: c3e5a7b9d123
Revises: b2d4f6a8c012
Create Date: 2026-11-22 04:41:22.646347

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e5a7b9d123"
down_revision: str | None = "b2d4f6a8c012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity_levels",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('new', 'core', 'active', 'occasional', 'quiet', 'never_spoke')",
            name=op.f("ck_activity_levels_level"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_activity_levels_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "community_id", "member_id", "month", name=op.f("pk_activity_levels")
        ),
    )
    op.create_table(
        "champion_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("champion_id", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "reason IN ('first_post', 'quiet_return', 'ritual')",
            name=op.f("ck_champion_requests_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dm_closed', 'no_champion')",
            name=op.f("ck_champion_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_champion_requests_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_champion_requests")),
        sa.UniqueConstraint(
            "community_id",
            "subject_id",
            "message_id",
            name=op.f("uq_champion_requests_community_id_subject_id_message_id"),
        ),
    )
    op.create_index(
        "ix_champion_requests_champion",
        "champion_requests",
        ["community_id", "champion_id", "sent_at"],
    )
    op.create_index("ix_champion_requests_status", "champion_requests", ["community_id", "status"])
    op.create_table(
        "champions",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_champions_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "member_id", name=op.f("pk_champions")),
    )
    op.create_table(
        "icebreaker_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("nonce", sa.String(), nullable=False),
        sa.Column("prompt", sa.String(), nullable=True),
        sa.Column("channel_id", sa.String(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retained", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('invitation', 'welcome')", name=op.f("ck_icebreaker_invitations_kind")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_icebreaker_invitations_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_icebreaker_invitations")),
        sa.UniqueConstraint(
            "community_id", "nonce", name=op.f("uq_icebreaker_invitations_community_id_nonce")
        ),
    )
    op.create_index(
        "ix_icebreaker_invitations_member",
        "icebreaker_invitations",
        ["community_id", "member_id", "sent_at"],
    )
    op.create_table(
        "icebreaker_welcomes",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'skipped')", name=op.f("ck_icebreaker_welcomes_status")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_icebreaker_welcomes_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "member_id", name=op.f("pk_icebreaker_welcomes")),
    )
    op.create_index(
        "ix_icebreaker_welcomes_due", "icebreaker_welcomes", ["community_id", "status", "due_at"]
    )
    op.create_table(
        "member_interests",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_member_interests_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "community_id", "member_id", "topic", name=op.f("pk_member_interests")
        ),
    )


def downgrade() -> None:
    op.drop_table("member_interests")
    op.drop_index("ix_icebreaker_welcomes_due", table_name="icebreaker_welcomes")
    op.drop_table("icebreaker_welcomes")
    op.drop_index("ix_icebreaker_invitations_member", table_name="icebreaker_invitations")
    op.drop_table("icebreaker_invitations")
    op.drop_table("champions")
    op.drop_index("ix_champion_requests_status", table_name="champion_requests")
    op.drop_index("ix_champion_requests_champion", table_name="champion_requests")
    op.drop_table("champion_requests")
    op.drop_table("activity_levels")
