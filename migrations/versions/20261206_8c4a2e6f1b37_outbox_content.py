"""Outbox: which content-library prompt a post used (pool and item), for the report.

Nullable: posts that use no prompt of the library (nudges, notices) and those sent
before this revision have none.

Revision ID: 8c4a2e6f1b37
Revises: 8c4e1b2f6a73
Create Date: 2026-12-06 10:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c4a2e6f1b37"
down_revision: str | None = "8c4e1b2f6a73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("item_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("item_id")
        batch_op.drop_column("pool")
