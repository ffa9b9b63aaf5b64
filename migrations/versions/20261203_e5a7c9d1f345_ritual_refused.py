"""Rituals: a ritual the platform refuses to post for pauses itself (reason `refused`).

Revision ID: e5a7c9d1f345
Revises: d4f6b8c0e234
Create Date: 2026-12-03 09:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "e5a7c9d1f345"
down_revision: str | None = "d4f6b8c0e234"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "paused_reason IS NULL OR paused_reason IN ('moderator', 'dead_channel')"
AFTER = "paused_reason IS NULL OR paused_reason IN ('moderator', 'dead_channel', 'refused')"


def _check(condition: str) -> None:
    with op.batch_alter_table("rituals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_rituals_paused_reason"), type_="check")
        batch_op.create_check_constraint(op.f("ck_rituals_paused_reason"), condition)


def upgrade() -> None:
    _check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE rituals SET paused_reason = 'moderator' WHERE paused_reason = 'refused'")
    _check(BEFORE)
