"""Member of the month: elections, nominations, pseudonymous votes, winners, audit log.

Revision ID: b2d4f6a8c012
Revises: a1c3e5d7f901
Create Date: 2026-11-22 04:40:27.035287

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b2d4f6a8c012"
down_revision: str | None = "a1c3e5d7f901"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
RUNNING = "phase IN ('nominating', 'voting')"


def upgrade() -> None:
    op.create_table(
        "election_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=True),
        sa.Column("detail", JSON, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_election_audit_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_audit")),
    )
    with op.batch_alter_table("election_audit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_election_audit_community_at", ["community_id", "at"], unique=False
        )

    op.create_table(
        "election_secrets",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_election_secrets_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_election_secrets")),
    )
    op.create_table(
        "elections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("tie_policy", sa.String(length=16), nullable=False),
        sa.Column("nominations_open_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voting_opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("candidates", JSON, nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.CheckConstraint(
            "phase IN ('nominating', 'voting', 'closed', 'announced', 'cancelled')",
            name=op.f("ck_elections_phase"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_elections_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elections")),
        sa.UniqueConstraint("community_id", "slot", name=op.f("uq_elections_community_id_slot")),
    )
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.create_index(
            "uq_elections_running",
            ["community_id"],
            unique=True,
            sqlite_where=sa.text(RUNNING),
            postgresql_where=sa.text(RUNNING),
        )

    op.create_table(
        "election_nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("nominee_id", sa.String(), nullable=False),
        sa.Column("nominee_name", sa.String(), nullable=False),
        sa.Column("nominator_id", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_election_nominations_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_nominations")),
        sa.UniqueConstraint(
            "election_id",
            "nominee_id",
            "nominator_id",
            name=op.f("uq_election_nominations_election_id_nominee_id_nominator_id"),
        ),
    )
    op.create_table(
        "election_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=64), nullable=True),
        sa.Column("ranking", JSON, nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_election_votes_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_votes")),
        sa.UniqueConstraint(
            "election_id", "voter_key", name=op.f("uq_election_votes_election_id_voter_key")
        ),
    )
    op.create_table(
        "election_winners",
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("won_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_election_winners_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_election_winners_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("election_id", "member_id", name=op.f("pk_election_winners")),
    )
    with op.batch_alter_table("election_winners", schema=None) as batch_op:
        batch_op.create_index(
            "ix_election_winners_community_period", ["community_id", "period"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("election_winners", schema=None) as batch_op:
        batch_op.drop_index("ix_election_winners_community_period")

    op.drop_table("election_winners")
    op.drop_table("election_votes")
    op.drop_table("election_nominations")
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_elections_running", sqlite_where=sa.text(RUNNING), postgresql_where=sa.text(RUNNING)
        )

    op.drop_table("elections")
    op.drop_table("election_secrets")
    with op.batch_alter_table("election_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_election_audit_community_at")

    op.drop_table("election_audit")
