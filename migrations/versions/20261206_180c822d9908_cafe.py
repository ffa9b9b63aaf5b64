"""Virtual cafés: participants, private exclusions, rounds, groups and seats.

Also an index of the interaction log by message id, so who replied or reacted to
whom is read by index (pairing, new connections).

Revision ID: 180c822d9908
Revises: 5e1f7a9c2d40
Create Date: 2026-12-06 10:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "180c822d9908"
down_revision: str | None = "5e1f7a9c2d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cafe_avoid",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("avoided_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_cafe_avoid_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "community_id", "member_id", "avoided_id", name=op.f("pk_cafe_avoid")
        ),
    )
    op.create_table(
        "cafe_participants",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unanswered", sa.Integer(), nullable=False),
        sa.Column("stay_asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_cafe_participants_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "member_id", name=op.f("pk_cafe_participants")),
    )
    op.create_table(
        "cafe_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("checkin_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checkin_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tallied", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_cafe_rounds_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cafe_rounds")),
        sa.UniqueConstraint(
            "community_id", "scheduled_for", name=op.f("uq_cafe_rounds_community_id_scheduled_for")
        ),
    )
    op.create_table(
        "cafe_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starter", sa.String(), nullable=True),
        sa.Column("interest", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_cafe_groups_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["cafe_rounds.id"],
            name=op.f("fk_cafe_groups_round_id_cafe_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cafe_groups")),
        sa.UniqueConstraint("round_id", "number", name=op.f("uq_cafe_groups_round_id_number")),
    )
    op.create_table(
        "cafe_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("had_contact", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('met', 'not_yet', 'skip')",
            name=op.f("ck_cafe_seats_answer"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_cafe_seats_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["cafe_groups.id"],
            name=op.f("fk_cafe_seats_group_id_cafe_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cafe_seats")),
        sa.UniqueConstraint("group_id", "member_id", name=op.f("uq_cafe_seats_group_id_member_id")),
    )
    with op.batch_alter_table("cafe_seats", schema=None) as batch_op:
        batch_op.create_index("ix_cafe_seats_member", ["community_id", "member_id"], unique=False)
    op.create_index(
        "ix_interactions_community_message", "interactions", ["community_id", "message_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_community_message", table_name="interactions")
    with op.batch_alter_table("cafe_seats", schema=None) as batch_op:
        batch_op.drop_index("ix_cafe_seats_member")

    op.drop_table("cafe_seats")
    op.drop_table("cafe_groups")
    op.drop_table("cafe_rounds")
    op.drop_table("cafe_participants")
    op.drop_table("cafe_avoid")
