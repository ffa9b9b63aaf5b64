"""Hold-ups: a member's problem, its phases, its thread; ideas and dots on a board.

Revision ID: c4f8a2d6e1b3
Revises: a1d5e0c3b7f9
Create Date: 2026-12-06 12:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4f8a2d6e1b3"
down_revision: str | None = "a1d5e0c3b7f9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "holdups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.String(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("wanted", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dots", sa.Integer(), nullable=False),
        sa.Column("hide_authors", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("announce_message_id", sa.String(), nullable=True),
        sa.Column("space_channel_id", sa.String(), nullable=True),
        sa.Column("space_thread_id", sa.String(), nullable=True),
        sa.Column("board_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", _WHEN, nullable=False),
        sa.Column("decided_at", _WHEN, nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("voting_opens_at", _WHEN, nullable=True),
        sa.Column("closes_at", _WHEN, nullable=True),
        sa.Column("outcome_at", _WHEN, nullable=True),
        sa.Column("followup", sa.Text(), nullable=True),
        sa.Column("followup_at", _WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'rejected', 'ideas', 'voting', 'done')",
            name=op.f("ck_holdups_status"),
        ),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_holdups_board_id_boards"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_holdups_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holdups")),
    )
    op.create_index(
        "ix_holdups_community_status", "holdups", ["community_id", "status"], unique=False
    )
    op.create_index(
        "ix_holdups_requester", "holdups", ["community_id", "requester_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_holdups_requester", table_name="holdups")
    op.drop_index("ix_holdups_community_status", table_name="holdups")
    op.drop_table("holdups")
