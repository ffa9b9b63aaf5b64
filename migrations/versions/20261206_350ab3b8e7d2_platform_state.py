"""Platform state kept across restarts: gateway sessions per shard, members held at screening.

Revision ID: 350ab3b8e7d2
Revises: 69d91c496bfc
Create Date: 2026-12-06 10:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "350ab3b8e7d2"
down_revision: str | None = "69d91c496bfc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateway_sessions",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("shard_id", sa.Integer(), nullable=False),
        sa.Column("shard_count", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("resume_url", sa.String(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "shard_id", name=op.f("pk_gateway_sessions")),
    )
    op.create_table(
        "screening_holds",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("held_since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_screening_holds_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "member_id", name=op.f("pk_screening_holds")),
    )


def downgrade() -> None:
    op.drop_table("screening_holds")
    op.drop_table("gateway_sessions")
