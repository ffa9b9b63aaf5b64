"""Report aggregates: first answers of questions, and posts and reactions per channel and hour.

Both are filled by reports (what they found or counted from the log), so the next
report reads them instead of recomputing.

Revision ID: 5e1f7a9c2d40
Revises: b3de09e728b1
Create Date: 2026-12-06 06:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f7a9c2d40"
down_revision: str | None = "b3de09e728b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question_answers",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "asked_hour", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("waited", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_question_answers_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "message_id", name=op.f("pk_question_answers")),
    )
    op.create_table(
        "activity_hourly",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("reactions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_activity_hourly_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "community_id", "hour", "channel_id", name=op.f("pk_activity_hourly")
        ),
    )


def downgrade() -> None:
    op.drop_table("activity_hourly")
    op.drop_table("question_answers")
