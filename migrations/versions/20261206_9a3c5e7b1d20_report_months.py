"""Report months: what a report counted of each settled calendar month, read by the next ones.

Revision ID: 9a3c5e7b1d20
Revises: 3e7b9d1c5a28
Create Date: 2026-12-06 09:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9a3c5e7b1d20"
down_revision: str | None = "3e7b9d1c5a28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "report_months",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("rowers", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("top_posts", sa.Integer(), nullable=False),
        sa.Column("newcomers", sa.Integer(), nullable=False),
        sa.Column("cohort", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_report_months_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "scope", "month", name=op.f("pk_report_months")),
    )


def downgrade() -> None:
    op.drop_table("report_months")
