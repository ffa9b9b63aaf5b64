"""Outbox: a send is recorded as attempted, under a lease, before the platform is called.

`attempted_at` (the first attempt) bounds the platform lookup that confirms an
uncertain send after a crash; `lease_owner` and `lease_until` let one process send a
row while the others leave it alone until the lease lapses.

Revision ID: b3de09e728b1
Revises: 350ab3b8e7d2
Create Date: 2026-12-06 09:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3de09e728b1"
down_revision: str | None = "350ab3b8e7d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("attempted_at")
