"""Offers to host: a member invited by a moderator to host a ritual's post or a group.

The offer is also an icebreaker contact (kind `host_offer`), so the icebreakers'
cool-down counts it.

Revision ID: d7b3e9f1a5c2
Revises: c4f8a2d6e1b3
Create Date: 2026-12-06 13:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7b3e9f1a5c2"
down_revision: str | None = "c4f8a2d6e1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
BEFORE = "kind IN ('invitation', 'welcome')"
AFTER = "kind IN ('invitation', 'welcome', 'host_offer')"


def _kinds(condition: str) -> None:
    with op.batch_alter_table("icebreaker_invitations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_icebreaker_invitations_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_icebreaker_invitations_kind"), condition)


def upgrade() -> None:
    _kinds(AFTER)
    op.create_table(
        "host_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("offered_by", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offered_at", _WHEN, nullable=False),
        sa.Column("answered_at", _WHEN, nullable=True),
        sa.Column("hosted_at", _WHEN, nullable=True),
        sa.Column("hosted_ref", sa.String(), nullable=True),
        sa.CheckConstraint(
            "target_kind IN ('ritual', 'group')", name=op.f("ck_host_offers_target_kind")
        ),
        sa.CheckConstraint(
            "status IN ('offered', 'accepted', 'declined', 'expired', 'hosted')",
            name=op.f("ck_host_offers_status"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_host_offers_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_offers")),
    )
    op.create_index(
        "ix_host_offers_member",
        "host_offers",
        ["community_id", "member_id", "offered_at"],
        unique=False,
    )
    op.create_index(
        "ix_host_offers_target",
        "host_offers",
        ["community_id", "target_kind", "target_id", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_host_offers_target", table_name="host_offers")
    op.drop_index("ix_host_offers_member", table_name="host_offers")
    op.drop_table("host_offers")
    op.execute("DELETE FROM icebreaker_invitations WHERE kind = 'host_offer'")
    _kinds(BEFORE)
