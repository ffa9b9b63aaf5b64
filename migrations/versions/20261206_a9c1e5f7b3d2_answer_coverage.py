"""Answer checks say which of a community's questions have all been looked up.

Every question of the log asked at or after `complete_since`, up to the log row
`complete_id`, has a stored row in `question_answers`; a report then looks up only
questions logged since, instead of leaving out the stored ones among all of its
periods' questions. Unset (as after an erasure) means not known: the next report
looks at every question of its periods, as before.

Revision ID: a9c1e5f7b3d2
Revises: c3e5a7b9d1f4
Create Date: 2026-12-06 20:15:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9c1e5f7b3d2"
down_revision: str | None = "c3e5a7b9d1f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answer_checks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "complete_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("complete_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer_checks", schema=None) as batch_op:
        batch_op.drop_column("complete_since")
        batch_op.drop_column("complete_id")
