"""Live sessions: what a live hour keeps beside its board (hosts, interest, reminders, event).

The questions and upvotes are the board's (`bot.storage.boards`, kind `live`);
this module keeps who hosts, who said they were interested, whether they were
reminded (a compare-and-set, so one process reminds once), the platform's
scheduled event, and the figures of the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    and_,
    delete,
    exists,
    func,
    insert,
    select,
    union,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage._base import Repository
from bot.storage._interactions import human
from bot.storage.boards import BoardItemRow, BoardRow, BoardVoteRow
from bot.storage.models import Base, InteractionLogRow, community_fk, one_of

KIND = "live"
"""The kind of the boards live sessions run on."""
ROLES = ("host", "interested")


class LiveSessionRow(Base):
    """What a live session keeps beside its board."""

    __tablename__ = "live_sessions"

    board_id: Mapped[int] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(community_fk())
    schedule: Mapped[str | None]
    event_id: Mapped[str | None]
    reminded_at: Mapped[datetime | None]


class LiveAttendeeRow(Base):
    """A host of a session, or a member who said they were interested."""

    __tablename__ = "live_attendees"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        Index("ix_live_attendees_member", "community_id", "member_id"),
    )

    board_id: Mapped[int] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


@dataclass(frozen=True, kw_only=True, slots=True)
class LiveSession:
    """A live session's own record (its board holds the rest)."""

    board_id: int
    schedule: str | None
    event_id: str | None
    reminded_at: datetime | None
    hosts: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class LiveFigures:
    """Sessions closed in a period, their participants, and those who had never posted."""

    sessions: int
    participants: int
    first_timers: int


_sessions = LiveSessionRow.__table__.c
_attendees = LiveAttendeeRow.__table__.c
_boards = BoardRow.__table__.c
_items = BoardItemRow.__table__.c
_votes = BoardVoteRow.__table__.c
_log = InteractionLogRow.__table__.c


class LiveSessions(Repository):
    """Hosts, interest, reminders and figures of live sessions (`uow.repository(...)`)."""

    async def add(
        self, board_id: int, community_id: int, hosts: list[str], schedule: str | None = None
    ) -> None:
        """Record a new session's hosts (and the configured schedule it came from)."""
        await self._connection.execute(
            insert(LiveSessionRow).values(
                board_id=board_id, community_id=community_id, schedule=schedule
            )
        )
        for host in dict.fromkeys(hosts):
            await self._attend(board_id, community_id, host, "host")

    async def get(self, board_id: int) -> LiveSession | None:
        """Return a session's own record, or None."""
        row = (
            await self._connection.execute(
                select(LiveSessionRow.__table__).where(_sessions.board_id == board_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return LiveSession(
            board_id=row.board_id,
            schedule=row.schedule,
            event_id=row.event_id,
            reminded_at=row.reminded_at,
            hosts=tuple(await self.attendees(board_id, "host")),
        )

    async def attendees(self, board_id: int, role: str) -> list[str]:
        """Return a session's hosts or interested members, in the order they came."""
        rows = await self._connection.execute(
            select(_attendees.member_id)
            .where(_attendees.board_id == board_id, _attendees.role == role)
            .order_by(_attendees.created_at, _attendees.member_id)
        )
        return [row.member_id for row in rows]

    async def add_host(self, board_id: int, community_id: int, member_id: str) -> bool:
        """Make a member a host of a session (an interested member too); False if already."""
        promoted = await self._connection.execute(
            update(LiveAttendeeRow)
            .where(
                _attendees.board_id == board_id,
                _attendees.member_id == member_id,
                _attendees.role != "host",
            )
            .values(role="host", created_at=self._now(None))
        )
        if promoted.rowcount:
            return True
        return await self._attend(board_id, community_id, member_id, "host")

    async def interested(self, board_id: int, community_id: int, member_id: str) -> bool:
        """Record a member's interest; False when they already were interested or host."""
        return await self._attend(board_id, community_id, member_id, "interested")

    async def set(self, board_id: int, **values: Any) -> None:
        """Record the platform's scheduled event of a session."""
        await self._connection.execute(
            update(LiveSessionRow).where(_sessions.board_id == board_id).values(**values)
        )

    async def claim_reminder(self, board_id: int) -> bool:
        """Mark a session's reminders as sent (compare-and-set); False if they already were."""
        claimed = await self._connection.execute(
            update(LiveSessionRow)
            .where(_sessions.board_id == board_id, _sessions.reminded_at.is_(None))
            .values(reminded_at=self._now(None))
        )
        return bool(claimed.rowcount)

    async def of_schedule(self, community_id: int, schedule: str, opens_at: datetime) -> bool:
        """Return whether a configured schedule's session at `opens_at` exists already."""
        found = await self._connection.scalar(
            select(_sessions.board_id)
            .join(BoardRow.__table__, _boards.id == _sessions.board_id)
            .where(
                _sessions.community_id == community_id,
                _sessions.schedule == schedule,
                _boards.opens_at == opens_at,
            )
            .limit(1)
        )
        return found is not None

    async def _attend(self, board_id: int, community_id: int, member_id: str, role: str) -> bool:
        inserted = await self._connection.execute(
            self._insert(LiveAttendeeRow.__table__)
            .values(
                board_id=board_id,
                community_id=community_id,
                member_id=member_id,
                role=role,
                created_at=self._now(None),
            )
            .on_conflict_do_nothing()
        )
        return bool(inserted.rowcount)

    # Figures.

    async def figures(self, community_id: int, since: datetime, until: datetime) -> LiveFigures:
        """Return the figures of the sessions that ended in [since, until)."""
        ended = (
            select(_boards.id, _boards.opens_at)
            .where(
                _boards.community_id == community_id,
                _boards.kind == KIND,
                _boards.status == "closed",
                _boards.closes_at >= since,
                _boards.closes_at < until,
            )
            .subquery()
        )
        pairs = union(
            select(_items.board_id.label("board_id"), _items.author_id.label("member")).where(
                _items.board_id.in_(select(ended.c.id))
            ),
            select(_votes.board_id.label("board_id"), _votes.voter_id.label("member")).where(
                _votes.board_id.in_(select(ended.c.id))
            ),
        ).subquery()
        sessions = await self._connection.scalar(select(func.count()).select_from(ended))
        participants = await self._connection.scalar(
            select(func.count(func.distinct(pairs.c.member)))
        )
        posted_before = exists().where(
            _log.community_id == community_id,
            _log.member_id == pairs.c.member,
            _log.kind.in_(("message", "reply")),
            _log.occurred_at < ended.c.opens_at,
            human(),
        )
        first_timers = await self._connection.scalar(
            select(func.count(func.distinct(pairs.c.member)))
            .select_from(pairs.join(ended, and_(ended.c.id == pairs.c.board_id)))
            .where(~posted_before)
        )
        return LiveFigures(
            sessions=int(sessions or 0),
            participants=int(participants or 0),
            first_timers=int(first_timers or 0),
        )

    # Personal data.

    async def attendance(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        """Return the sessions a member hosts or said they were interested in, JSON-ready."""
        rows = await self._connection.execute(
            select(_boards.title, _boards.opens_at, _attendees.role, _attendees.created_at)
            .join(BoardRow.__table__, _boards.id == _attendees.board_id)
            .where(_attendees.community_id == community_id, _attendees.member_id == member_id)
            .order_by(_attendees.created_at)
        )
        return [
            {
                "session": r.title,
                "opens_at": r.opens_at.isoformat(),
                "role": r.role,
                "since": r.created_at.isoformat(),
            }
            for r in rows
        ]

    async def erase_attendance(self, community_id: int, member_id: str) -> int:
        """Forget that a member hosts or was interested in any session."""
        deleted = await self._connection.execute(
            delete(LiveAttendeeRow).where(
                _attendees.community_id == community_id, _attendees.member_id == member_id
            )
        )
        return int(deleted.rowcount or 0)
