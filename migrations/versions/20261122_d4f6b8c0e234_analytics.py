"""Analytics: indexes for reports (questions, thread replies, clicks, rollups by day).

Revision ID: d4f6b8c0e234
Revises: c3e5a7b9d123
Create Date: 2026-11-22 04:50:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4f6b8c0e234"
down_revision: str | None = "c3e5a7b9d123"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUESTIONS = "target = 'question'"
IN_THREAD = "thread_id IS NOT NULL"
CHOICES = "kind = 'choice'"


def upgrade() -> None:
    op.create_index(
        "ix_interactions_community_questions",
        "interactions",
        ["community_id", "occurred_at", "message_id", "channel_id", "member_id"],
        sqlite_where=sa.text(QUESTIONS),
        postgresql_where=sa.text(QUESTIONS),
    )
    op.create_index(
        "ix_interactions_community_thread",
        "interactions",
        ["community_id", "thread_id", "occurred_at"],
        sqlite_where=sa.text(IN_THREAD),
        postgresql_where=sa.text(IN_THREAD),
    )
    op.create_index(
        "ix_interactions_community_choices",
        "interactions",
        ["community_id", "occurred_at"],
        sqlite_where=sa.text(CHOICES),
        postgresql_where=sa.text(CHOICES),
    )
    op.create_index(
        "ix_activity_daily_community_day",
        "activity_daily",
        ["community_id", "day", "member_id", "messages", "replies", "reactions", "other"],
    )


def downgrade() -> None:
    op.drop_index("ix_activity_daily_community_day", table_name="activity_daily")
    op.drop_index("ix_interactions_community_choices", table_name="interactions")
    op.drop_index("ix_interactions_community_thread", table_name="interactions")
    op.drop_index("ix_interactions_community_questions", table_name="interactions")
