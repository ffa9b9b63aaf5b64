"""Offers to host a live session: `live` joins the kinds an offer's target may have.

Revision ID: b8d2f4a6c0e1
Revises: e2c6a8f0b4d9
Create Date: 2026-12-06 15:00:00.000000

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "b8d2f4a6c0e1"
down_revision: str | None = "e2c6a8f0b4d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "target_kind IN ('ritual', 'group')"
AFTER = "target_kind IN ('ritual', 'group', 'live')"


def _kinds(condition: str) -> None:
    with op.batch_alter_table("host_offers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_host_offers_target_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_host_offers_target_kind"), condition)


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM host_offers WHERE target_kind = 'live'")
    _kinds(BEFORE)
