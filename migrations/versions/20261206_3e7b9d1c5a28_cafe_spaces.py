"""Café groups: where each group talks (its private space), and whether its intro is queued.

A group recorded before its space opened has `intro_pending` true; the space and
the intro are recorded together once it opens. Groups of earlier rounds were
introduced in the café channel: not pending, no space.

Revision ID: 3e7b9d1c5a28
Revises: 8c4a2e6f1b37
Create Date: 2026-12-06 12:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e7b9d1c5a28"
down_revision: str | None = "8c4a2e6f1b37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cafe_groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("intro_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("space_channel_id", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("space_thread_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cafe_groups", schema=None) as batch_op:
        batch_op.drop_column("space_thread_id")
        batch_op.drop_column("space_channel_id")
        batch_op.drop_column("intro_pending")
