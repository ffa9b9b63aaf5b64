"""Café spaces claimed before they open and archived after the round; stay questions queued.

A process claims a group's space (`space_claimed_by`, a lease until
`space_claimed_until`) before asking the platform to open it, so two processes on
one database never both open it; `space_claims` counts the attempts. `archived_at`
records when the space was archived after the round. `stay_ask_due` holds a
decided question whether to stay until quiet hours are over; every earlier
question was sent already.

Revision ID: e2c6a8f0b4d9
Revises: d7b3e9f1a5c2
Create Date: 2026-12-06 14:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e2c6a8f0b4d9"
down_revision: str | None = "d7b3e9f1a5c2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cafe_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("space_claimed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("space_claimed_until", _WHEN, nullable=True))
        batch_op.add_column(
            sa.Column("space_claims", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("archived_at", _WHEN, nullable=True))
    with op.batch_alter_table("cafe_participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stay_ask_due", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("cafe_participants", schema=None) as batch_op:
        batch_op.drop_column("stay_ask_due")
    with op.batch_alter_table("cafe_groups", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("space_claims")
        batch_op.drop_column("space_claimed_until")
        batch_op.drop_column("space_claimed_by")
