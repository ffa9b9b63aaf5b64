"""Activity levels: an index to read one month of a community (level movements in reports).

Revision ID: f6b8d0e2a456
Revises: e5a7c9d1f345
Create Date: 2026-12-03 10:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "f6b8d0e2a456"
down_revision: str | None = "e5a7c9d1f345"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_activity_levels_community_month",
        "activity_levels",
        ["community_id", "month", "member_id", "level"],
    )


def downgrade() -> None:
    op.drop_index("ix_activity_levels_community_month", table_name="activity_levels")
