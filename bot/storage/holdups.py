"""Hold-ups: a member's problem, its phases on stored timestamps, where it talks.

A hold-up's life is a column moved by compare-and-set (`pending` to `ideas` or
`rejected`, `ideas` to `voting`, `voting` to `done`), so two processes, a tick and
a command at the same instant, or a click delivered twice, never move it twice.
The ideas and the dots live on the shared board (`bot.storage.boards`); the row
keeps the rules the hold-up started with, so a config change never alters a
running one.
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
    Text,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage import boards as _boards  # noqa: F401 (the table `board_id` refers to)
from bot.storage._base import Repository
from bot.storage.models import Base, community_fk, one_of

STATUSES = ("pending", "rejected", "ideas", "voting", "done")
RUNNING = ("ideas", "voting")
UNFINISHED = ("pending", "ideas", "voting")
FORMER_REQUESTER = ""
"""What an erased requester's id becomes: the hold-up stays for its contributors."""


class HoldupRow(Base):
    """A problem brought to the community: waiting, rejected, running or done."""

    __tablename__ = "holdups"
    __table_args__ = (
        CheckConstraint(one_of("status", STATUSES), name="status"),
        Index("ix_holdups_community_status", "community_id", "status"),
        Index("ix_holdups_requester", "community_id", "requester_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    requester_id: Mapped[str]
    problem: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text)
    wanted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    dots: Mapped[int]
    hide_authors: Mapped[bool]
    anonymous: Mapped[bool]
    channel_id: Mapped[str]
    announce_message_id: Mapped[str | None]
    space_channel_id: Mapped[str | None]
    space_thread_id: Mapped[str | None]
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None]
    voting_opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    outcome_at: Mapped[datetime | None]
    followup: Mapped[str | None] = mapped_column(Text)
    followup_at: Mapped[datetime | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class Holdup:
    """A hold-up as the feature sees it."""

    id: int
    community_id: int
    requester_id: str
    problem: str
    context: str
    wanted: str
    status: str
    dots: int
    hide_authors: bool
    anonymous: bool
    channel_id: str
    announce_message_id: str | None
    space_channel_id: str | None
    space_thread_id: str | None
    board_id: int | None
    submitted_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    voting_opens_at: datetime | None
    closes_at: datetime | None
    outcome_at: datetime | None
    followup: str | None
    followup_at: datetime | None


_h = HoldupRow.__table__.c


def _holdup(row: Row[Any]) -> Holdup:
    return Holdup(**{name: getattr(row, name) for name in Holdup.__dataclass_fields__})


class Holdups(Repository):
    """The hold-ups of every community (`uow.repository(Holdups)`)."""

    async def submit(
        self,
        *,
        community_id: int,
        requester_id: str,
        problem: str,
        context: str,
        wanted: str,
        dots: int,
        hide_authors: bool,
        anonymous: bool,
        channel_id: str,
    ) -> Holdup:
        """Store a problem waiting for a moderator's decision."""
        result = await self._connection.execute(
            insert(HoldupRow)
            .values(
                community_id=community_id,
                requester_id=requester_id,
                problem=problem,
                context=context,
                wanted=wanted,
                status="pending",
                dots=dots,
                hide_authors=hide_authors,
                anonymous=anonymous,
                channel_id=channel_id,
                submitted_at=self._now(None),
            )
            .returning(*_h)
        )
        return _holdup(result.one())

    async def get(self, community_id: int, holdup_id: int) -> Holdup | None:
        """Return a hold-up of the community, or None."""
        row = (
            await self._connection.execute(
                select(HoldupRow.__table__).where(
                    _h.id == holdup_id, _h.community_id == community_id
                )
            )
        ).one_or_none()
        return None if row is None else _holdup(row)

    async def of_board(self, board_id: int) -> Holdup | None:
        """Return the hold-up whose ideas are on `board_id`, or None."""
        row = (
            await self._connection.execute(
                select(HoldupRow.__table__).where(_h.board_id == board_id)
            )
        ).one_or_none()
        return None if row is None else _holdup(row)

    async def listed(self, community_id: int, statuses: tuple[str, ...]) -> list[Holdup]:
        """Return the community's hold-ups in `statuses`, oldest first."""
        rows = await self._connection.execute(
            select(HoldupRow.__table__)
            .where(_h.community_id == community_id, _h.status.in_(statuses))
            .order_by(_h.id)
        )
        return [_holdup(row) for row in rows]

    async def latest_of(self, community_id: int, requester_id: str, status: str) -> Holdup | None:
        """Return the requester's most recent hold-up in `status`, or None."""
        row = (
            await self._connection.execute(
                select(HoldupRow.__table__)
                .where(
                    _h.community_id == community_id,
                    _h.requester_id == requester_id,
                    _h.status == status,
                )
                .order_by(_h.id.desc())
                .limit(1)
            )
        ).one_or_none()
        return None if row is None else _holdup(row)

    async def in_space(
        self, community_id: int, channel_id: str, thread_id: str | None
    ) -> Holdup | None:
        """Return the latest hold-up that talks in this thread or channel, or None.

        A command typed in a Discord thread names the thread as its channel, so a
        channel id alone also matches a space's thread.
        """
        where = [_h.community_id == community_id]
        if thread_id is not None:
            where.append(_h.space_thread_id == thread_id)
        else:
            where.append(
                or_(
                    _h.space_thread_id == channel_id,
                    and_(_h.space_channel_id == channel_id, _h.space_thread_id.is_(None)),
                )
            )
        row = (
            await self._connection.execute(
                select(HoldupRow.__table__).where(*where).order_by(_h.id.desc()).limit(1)
            )
        ).first()
        return None if row is None else _holdup(row)

    async def move(self, holdup_id: int, source: str, target: str, **values: Any) -> bool:
        """Move a hold-up from `source` to `target` status (compare-and-set), with `values`."""
        moved = await self._connection.execute(
            update(HoldupRow)
            .where(_h.id == holdup_id, _h.status == source)
            .values(status=target, **values)
        )
        return bool(moved.rowcount)

    async def set(self, holdup_id: int, **values: Any) -> None:
        """Record where a hold-up's announcement or space is, or its board."""
        await self._connection.execute(update(HoldupRow).where(_h.id == holdup_id).values(**values))

    async def set_followup(self, holdup_id: int, text: str, at: datetime) -> None:
        """Keep the requester's word on what became of the ideas."""
        await self.set(holdup_id, followup=text, followup_at=at)

    async def finished(self, community_id: int, since: datetime, until: datetime) -> list[Holdup]:
        """Return the hold-ups whose outcome was handed over in [since, until)."""
        rows = await self._connection.execute(
            select(HoldupRow.__table__)
            .where(
                _h.community_id == community_id,
                _h.status == "done",
                _h.outcome_at >= since,
                _h.outcome_at < until,
            )
            .order_by(_h.id)
        )
        return [_holdup(row) for row in rows]

    async def delete(self, holdup_id: int) -> None:
        """Delete a hold-up's row (its board goes separately)."""
        await self._connection.execute(delete(HoldupRow).where(_h.id == holdup_id))

    async def purge(self, community_id: int, before: datetime) -> int:
        """Delete the hold-ups handed over or declined before `before` (boards go apart)."""
        deleted = await self._connection.execute(
            delete(HoldupRow).where(
                _h.community_id == community_id,
                or_(
                    and_(_h.status == "done", _h.outcome_at < before),
                    and_(_h.status == "rejected", _h.decided_at < before),
                ),
            )
        )
        return int(deleted.rowcount or 0)

    # Personal data.

    async def requested(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        """Return the hold-ups a member brought, with what they wrote, JSON-ready."""
        rows = await self._connection.execute(
            select(HoldupRow.__table__)
            .where(_h.community_id == community_id, _h.requester_id == member_id)
            .order_by(_h.id)
        )
        return [
            {
                "holdup": r.id,
                "problem": r.problem,
                "context": r.context,
                "wanted": r.wanted,
                "status": r.status,
                "submitted_at": r.submitted_at.isoformat(),
                "followup": r.followup,
            }
            for r in rows
        ]

    async def erase_requester(self, community_id: int, member_id: str) -> int:
        """Forget who brought which problem, their context and follow-up; the ideas stay."""
        erased = await self._connection.execute(
            update(HoldupRow)
            .where(_h.community_id == community_id, _h.requester_id == member_id)
            .values(requester_id=FORMER_REQUESTER, context="", wanted="", followup=None)
        )
        return int(erased.rowcount or 0)
