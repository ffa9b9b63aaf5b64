"""Boards (items and votes, shared by live sessions and hold-ups) and live sessions.

Revision ID: a1d5e0c3b7f9
Revises: 3e7b9d1c5a28
Create Date: 2026-12-06 14:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d5e0c3b7f9"
down_revision: str | None = "3e7b9d1c5a28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def _community(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["community_id"],
        ["communities.id"],
        name=op.f(f"fk_{table}_community_id_communities"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    _boards()
    _live()


def _boards() -> None:
    op.create_table(
        "boards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("thread_id", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("owner_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=True),
        sa.Column("per_item", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("opens_at", _WHEN, nullable=False),
        sa.Column("closes_at", _WHEN, nullable=False),
        sa.Column("closed_at", _WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('scheduled', 'open', 'collecting', 'voting', 'closed', 'cancelled')",
            name=op.f("ck_boards_status"),
        ),
        sa.CheckConstraint("per_item >= 1", name=op.f("ck_boards_per_item")),
        sa.CheckConstraint("budget IS NULL OR budget >= 1", name=op.f("ck_boards_budget")),
        _community("boards"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boards")),
    )
    op.create_index("ix_boards_community_kind_status", "boards", ["community_id", "kind", "status"])
    op.create_table(
        "board_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("taken_at", _WHEN, nullable=True),
        sa.Column("answered_at", _WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'merged')", name=op.f("ck_board_items_status")
        ),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_board_items_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into"],
            ["board_items.id"],
            name=op.f("fk_board_items_merged_into_board_items"),
            ondelete="SET NULL",
        ),
        _community("board_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_items")),
        sa.UniqueConstraint("board_id", "number", name=op.f("uq_board_items_board_id_number")),
    )
    op.create_index("ix_board_items_member", "board_items", ["community_id", "author_id"])
    op.create_table(
        "board_votes",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.String(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.CheckConstraint("points >= 1", name=op.f("ck_board_votes_points")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["board_items.id"],
            name=op.f("fk_board_votes_item_id_board_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_board_votes_board_id_boards"),
            ondelete="CASCADE",
        ),
        _community("board_votes"),
        sa.PrimaryKeyConstraint("item_id", "voter_id", name=op.f("pk_board_votes")),
    )
    op.create_index("ix_board_votes_board_voter", "board_votes", ["board_id", "voter_id"])
    op.create_index("ix_board_votes_member", "board_votes", ["community_id", "voter_id"])


def _live() -> None:
    op.create_table(
        "live_sessions",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(), nullable=True),
        sa.Column("event_id", sa.String(), nullable=True),
        sa.Column("reminded_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_live_sessions_board_id_boards"),
            ondelete="CASCADE",
        ),
        _community("live_sessions"),
        sa.PrimaryKeyConstraint("board_id", name=op.f("pk_live_sessions")),
    )
    op.create_table(
        "live_attendees",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.CheckConstraint("role IN ('host', 'interested')", name=op.f("ck_live_attendees_role")),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_live_attendees_board_id_boards"),
            ondelete="CASCADE",
        ),
        _community("live_attendees"),
        sa.PrimaryKeyConstraint("board_id", "member_id", name=op.f("pk_live_attendees")),
    )
    op.create_index("ix_live_attendees_member", "live_attendees", ["community_id", "member_id"])


def downgrade() -> None:
    op.drop_index("ix_live_attendees_member", table_name="live_attendees")
    op.drop_table("live_attendees")
    op.drop_table("live_sessions")
    op.drop_index("ix_board_votes_member", table_name="board_votes")
    op.drop_index("ix_board_votes_board_voter", table_name="board_votes")
    op.drop_table("board_votes")
    op.drop_index("ix_board_items_member", table_name="board_items")
    op.drop_table("board_items")
    op.drop_index("ix_boards_community_kind_status", table_name="boards")
    op.drop_table("boards")
