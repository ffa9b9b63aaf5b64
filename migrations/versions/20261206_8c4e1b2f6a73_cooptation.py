"""Co-optation: members' invitation links and who brought each newcomer.

Revision ID: 8c4e1b2f6a73
Revises: 5f0c2a7d9e41
Create Date: 2026-12-06 11:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c4e1b2f6a73"
down_revision: str | None = "5f0c2a7d9e41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invite_links",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_invite_links_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "link", name=op.f("pk_invite_links")),
    )
    op.create_table(
        "cooptations",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.String(), nullable=False),
        sa.Column("by_member_id", sa.String(), nullable=False),
        sa.Column("way", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("way IN ('link', 'declared')", name=op.f("ck_cooptations_way")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_cooptations_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "newcomer_id", name=op.f("pk_cooptations")),
    )


def downgrade() -> None:
    op.drop_table("cooptations")
    op.drop_table("invite_links")
