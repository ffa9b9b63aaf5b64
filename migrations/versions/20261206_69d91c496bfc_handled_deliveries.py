"""Handled deliveries: command and click deliveries claimed before they are handled.

A redelivery (a Slack retry, a Discord resume) after a restart or to another
process finds the claim and is not answered twice. Rows are kept a day.

Revision ID: 69d91c496bfc
Revises: f6b8d0e2a456
Create Date: 2026-12-06 09:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "69d91c496bfc"
down_revision: str | None = "f6b8d0e2a456"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handled_deliveries",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_handled_deliveries_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "event_id", name=op.f("pk_handled_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("handled_deliveries")
