"""Polls: the kind of the content library's poll a poll asks (`this_or_that`), for the report.

Nullable: a member's own poll and a two truths and a lie have none, nor do the
library's polls opened before this revision.

Revision ID: f5a9c3e7d1b8
Revises: 9a3c5e7b1d20
Create Date: 2026-12-06 12:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f5a9c3e7d1b8"
down_revision: str | None = "9a3c5e7b1d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("game_polls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_kind", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("game_polls", schema=None) as batch_op:
        batch_op.drop_column("content_kind")
