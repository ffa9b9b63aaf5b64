"""What platform adapters keep across restarts: gateway sessions and members held at screening.

A Discord shard's session (id, last sequence handled, resume URL) lets a restarted
process RESUME and have Discord replay what it missed; a member held at the rules
screening is welcomed when they pass it, which may be after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.ports import GatewaySession
from bot.storage._base import Repository, require_aware
from bot.storage.models import Base

log = logging.getLogger(__name__)


class GatewaySessionRow(Base):
    """The gateway session of one shard, as last saved."""

    __tablename__ = "gateway_sessions"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    shard_id: Mapped[int] = mapped_column(primary_key=True)
    shard_count: Mapped[int]
    session_id: Mapped[str]
    sequence: Mapped[int] = mapped_column(BigInteger)
    resume_url: Mapped[str]
    saved_at: Mapped[datetime]


class ScreeningHoldRow(Base):
    """A member who joined held at the platform's rules screening and has not passed it."""

    __tablename__ = "screening_holds"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(primary_key=True)
    held_since: Mapped[datetime]


_sessions = GatewaySessionRow.__table__.c
_holds = ScreeningHoldRow.__table__.c


class GatewaySessions(Repository):
    """Each shard's gateway session, saved so a restart can resume it."""

    async def all(self, platform: str) -> list[GatewaySession]:
        """Return the saved sessions of `platform`'s shards, by shard id."""
        rows = await self._connection.execute(
            select(GatewaySessionRow)
            .where(_sessions.platform == platform)
            .order_by(_sessions.shard_id)
        )
        return [
            GatewaySession(
                shard_id=row.shard_id,
                shard_count=row.shard_count,
                session_id=row.session_id,
                sequence=row.sequence,
                resume_url=row.resume_url,
                saved_at=row.saved_at,
            )
            for row in rows
        ]

    async def save(self, platform: str, sessions: Sequence[GatewaySession]) -> None:
        """Store each shard's session, replacing the one saved before."""
        if not sessions:
            return
        values = [
            {
                "platform": platform,
                "shard_id": session.shard_id,
                "shard_count": session.shard_count,
                "session_id": session.session_id,
                "sequence": session.sequence,
                "resume_url": session.resume_url,
                "saved_at": require_aware(session.saved_at, "saved_at"),
            }
            for session in sessions
        ]
        stmt = self._insert(GatewaySessionRow.__table__)
        new = stmt.excluded
        await self._connection.execute(
            stmt.on_conflict_do_update(
                index_elements=[_sessions.platform, _sessions.shard_id],
                set_={
                    "shard_count": new.shard_count,
                    "session_id": new.session_id,
                    "sequence": new.sequence,
                    "resume_url": new.resume_url,
                    "saved_at": new.saved_at,
                },
            ),
            values,
        )


class ScreeningHolds(Repository):
    """Members held at screening, so passing it after a restart still counts."""

    async def add(self, community_id: int, member_id: str) -> bool:
        """Note a member held at screening; False if they already were."""
        stmt = (
            self._insert(ScreeningHoldRow.__table__)
            .values(community_id=community_id, member_id=member_id, held_since=self._clock.now())
            .on_conflict_do_nothing(index_elements=[_holds.community_id, _holds.member_id])
            .returning(_holds.member_id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def remove(self, community_id: int, member_ids: Sequence[str]) -> int:
        """Forget members who passed screening or left; return how many were held."""
        if not member_ids:
            return 0
        stmt = (
            delete(ScreeningHoldRow)
            .where(_holds.community_id == community_id, _holds.member_id.in_(member_ids))
            .returning(_holds.member_id)
        )
        return len((await self._connection.execute(stmt)).all())

    async def newest(self, community_ids: Sequence[int], limit: int) -> list[tuple[int, str]]:
        """Return (community id, member id) of the `limit` latest holds, oldest first."""
        if not community_ids or limit <= 0:
            return []
        stmt = (
            select(_holds.community_id, _holds.member_id)
            .where(_holds.community_id.in_(community_ids))
            .order_by(_holds.held_since.desc(), _holds.member_id.desc())
            .limit(limit)
        )
        rows = (await self._connection.execute(stmt)).all()
        return [(row.community_id, row.member_id) for row in reversed(rows)]
