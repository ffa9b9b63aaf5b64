"""Stored first answers keep where and by whom each question was asked, indexed by when,
and questions looked up without an answer are stored too, checked as far as a log row.

A report then reads a period's answers from `question_answers` alone instead of
joining each of the period's questions of the log to its stored answer, and looks
for answers to unanswered questions only among the log rows written since the last
lookup (`answer_checks`). The rows already stored take their channel and asker from
the log.

Revision ID: c3e5a7b9d1f4
Revises: b8d2f4a6c0e1
Create Date: 2026-12-06 16:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e5a7b9d1f4"
down_revision: str | None = "b8d2f4a6c0e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FROM_LOG = (
    "(SELECT {column} FROM interactions AS asked "
    "WHERE asked.community_id = question_answers.community_id "
    "AND asked.message_id = question_answers.message_id "
    "AND asked.target = 'question' LIMIT 1)"
)


def upgrade() -> None:
    op.create_table(
        "answer_checks",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column(
            "checked_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_answer_checks_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_answer_checks")),
    )
    with op.batch_alter_table("question_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_id", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("member_id", sa.String(), nullable=True))
        batch_op.alter_column(
            "answered_at", existing_type=sa.DateTime(timezone=True), nullable=True
        )
        batch_op.alter_column("waited", existing_type=sa.Float(), nullable=True)
        batch_op.create_index(
            "ix_question_answers_community_asked",
            ["community_id", "asked_at", "asked_hour", "waited"],
            unique=False,
        )
    op.execute(
        "UPDATE question_answers SET "  # noqa: S608 (constants only)
        f"channel_id = {_FROM_LOG.format(column='channel_id')}, "
        f"member_id = {_FROM_LOG.format(column='member_id')}"
    )


def downgrade() -> None:
    op.execute("DELETE FROM question_answers WHERE answered_at IS NULL")
    with op.batch_alter_table("question_answers", schema=None) as batch_op:
        batch_op.alter_column("waited", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column(
            "answered_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_index("ix_question_answers_community_asked")
        batch_op.drop_column("member_id")
        batch_op.drop_column("channel_id")
    op.drop_table("answer_checks")
