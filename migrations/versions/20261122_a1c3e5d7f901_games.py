"""Games: trivia rounds, questions and answers, polls and votes, season scores.

Revision ID: a1c3e5d7f901
Revises: c9d1e3f5a7b9
Create Date: 2026-11-22 04:41:11.115466

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a1c3e5d7f901"
down_revision: str | None = "c9d1e3f5a7b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "game_polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("question", sa.String(), nullable=True),
        sa.Column("options", JSON, nullable=False),
        sa.Column("item_id", sa.String(), nullable=True),
        sa.Column("author_id", sa.String(), nullable=True),
        sa.Column("author_name", sa.String(), nullable=True),
        sa.Column("lie", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('poll', 'twotruths')", name=op.f("ck_game_polls_kind")),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f("ck_game_polls_state")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_game_polls_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_polls")),
    )
    with op.batch_alter_table("game_polls", schema=None) as batch_op:
        batch_op.create_index("ix_game_polls_state_closes", ["state", "closes_at"], unique=False)

    op.create_table(
        "game_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("active_channel", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('running', 'finished')", name=op.f("ck_game_rounds_state")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_game_rounds_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_rounds")),
        sa.UniqueConstraint(
            "community_id",
            "active_channel",
            name=op.f("uq_game_rounds_community_id_active_channel"),
        ),
    )
    op.create_table(
        "game_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("season", sa.String(length=16), nullable=False),
        sa.Column("game", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_game_scores_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_scores")),
        sa.UniqueConstraint(
            "community_id",
            "source",
            "member_id",
            "reason",
            name=op.f("uq_game_scores_community_id_source_member_id_reason"),
        ),
    )
    with op.batch_alter_table("game_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_game_scores_community_season", ["community_id", "season"], unique=False
        )

    op.create_table(
        "game_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'open', 'closed')", name=op.f("ck_game_questions_state")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["game_rounds.id"],
            name=op.f("fk_game_questions_round_id_game_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_questions")),
        sa.UniqueConstraint(
            "round_id", "position", name=op.f("uq_game_questions_round_id_position")
        ),
    )
    with op.batch_alter_table("game_questions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_game_questions_state_closes", ["state", "closes_at"], unique=False
        )

    op.create_table(
        "game_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["game_polls.id"],
            name=op.f("fk_game_votes_poll_id_game_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_votes")),
        sa.UniqueConstraint("poll_id", "member_id", name=op.f("uq_game_votes_poll_id_member_id")),
    )
    op.create_table(
        "game_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("answer", sa.String(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["game_questions.id"],
            name=op.f("fk_game_answers_question_id_game_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_answers")),
        sa.UniqueConstraint(
            "question_id", "member_id", name=op.f("uq_game_answers_question_id_member_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("game_answers")
    op.drop_table("game_votes")
    with op.batch_alter_table("game_questions", schema=None) as batch_op:
        batch_op.drop_index("ix_game_questions_state_closes")

    op.drop_table("game_questions")
    with op.batch_alter_table("game_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_game_scores_community_season")

    op.drop_table("game_scores")
    op.drop_table("game_rounds")
    with op.batch_alter_table("game_polls", schema=None) as batch_op:
        batch_op.drop_index("ix_game_polls_state_closes")

    op.drop_table("game_polls")
