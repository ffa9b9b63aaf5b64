"""Affinity groups: proposals, their members, and the space each opened group talks in.

A group's life is a column moved by compare-and-set (`proposing` to `open`, then
`archived` or `closed`, or `proposing` to `expired`), so two processes, or a click
delivered twice, never open or archive a group twice. Membership is one row per
(group, member): joining again is no error and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage._base import Repository
from bot.storage._icebreaker_rows import InterestRow
from bot.storage._interactions import human
from bot.storage.models import Base, InteractionLogRow, community_fk, one_of

GROUP_STATUSES = ("proposing", "open", "expired", "archived", "closed")
LIVE = ("proposing", "open")
FORMER_PROPOSER = ""
"""What an erased proposer's id becomes: the group stays, nobody is named."""


class GroupRow(Base):
    """A group proposed on a topic: gathering members, open with its space, or ended."""

    __tablename__ = "affinity_groups"
    __table_args__ = (
        CheckConstraint(one_of("status", GROUP_STATUSES), name="status"),
        Index("ix_affinity_groups_community_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    topic: Mapped[str]
    topic_key: Mapped[str]
    why: Mapped[str] = mapped_column(Text)
    proposer_id: Mapped[str]
    status: Mapped[str] = mapped_column(String(16))
    needed: Mapped[int]
    proposal_channel_id: Mapped[str]
    proposal_message_id: Mapped[str | None]
    space_channel_id: Mapped[str | None]
    space_thread_id: Mapped[str | None]
    created_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    notice_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None]


class GroupMemberRow(Base):
    """A member of a group (the proposer included), since they joined."""

    __tablename__ = "affinity_group_members"
    __table_args__ = (Index("ix_affinity_group_members_member", "community_id", "member_id"),)

    group_id: Mapped[int] = mapped_column(
        ForeignKey("affinity_groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    joined_at: Mapped[datetime]


@dataclass(frozen=True, kw_only=True, slots=True)
class Group:
    """A group as the feature sees it."""

    id: int
    community_id: int
    topic: str
    topic_key: str
    why: str
    proposer_id: str
    status: str
    needed: int
    proposal_channel_id: str
    proposal_message_id: str | None
    space_channel_id: str | None
    space_thread_id: str | None
    created_at: datetime
    deadline_at: datetime
    opened_at: datetime | None
    notice_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None


_groups = GroupRow.__table__.c
_members = GroupMemberRow.__table__.c
_interests = InterestRow.__table__.c
_log = InteractionLogRow.__table__.c


def _group(row: Row[Any]) -> Group:
    return Group(**{name: getattr(row, name) for name in Group.__dataclass_fields__})


class Groups(Repository):
    """The affinity groups of every community (`uow.repository(Groups)`)."""

    async def propose(
        self,
        *,
        community_id: int,
        topic: str,
        topic_key: str,
        why: str,
        proposer_id: str,
        needed: int,
        channel_id: str,
        deadline_at: datetime,
    ) -> Group:
        """Store a proposal, its proposer as its first member."""
        now = self._now(None)
        result = await self._connection.execute(
            insert(GroupRow)
            .values(
                community_id=community_id,
                topic=topic,
                topic_key=topic_key,
                why=why,
                proposer_id=proposer_id,
                status="proposing",
                needed=needed,
                proposal_channel_id=channel_id,
                created_at=now,
                deadline_at=deadline_at,
            )
            .returning(*_groups)
        )
        group = _group(result.one())
        await self.join(group, proposer_id)
        return group

    async def get(self, community_id: int, group_id: int) -> Group | None:
        """Return a group of the community, or None."""
        row = (
            await self._connection.execute(
                select(GroupRow.__table__).where(
                    _groups.id == group_id, _groups.community_id == community_id
                )
            )
        ).one_or_none()
        return None if row is None else _group(row)

    async def live(self, community_id: int) -> list[Group]:
        """Return the groups gathering members or open, oldest first."""
        rows = await self._connection.execute(
            select(GroupRow.__table__)
            .where(_groups.community_id == community_id, _groups.status.in_(LIVE))
            .order_by(_groups.id)
        )
        return [_group(row) for row in rows]

    async def live_on(self, community_id: int, topic_key: str) -> Group | None:
        """Return a live group on the same topic, if there is one."""
        row = (
            await self._connection.execute(
                select(GroupRow.__table__)
                .where(
                    _groups.community_id == community_id,
                    _groups.topic_key == topic_key,
                    _groups.status.in_(LIVE),
                )
                .limit(1)
            )
        ).one_or_none()
        return None if row is None else _group(row)

    async def join(self, group: Group, member_id: str) -> bool:
        """Add a member; False when they already were one."""
        inserted = await self._connection.execute(
            self._insert(GroupMemberRow.__table__)
            .values(
                group_id=group.id,
                member_id=member_id,
                community_id=group.community_id,
                joined_at=self._now(None),
            )
            .on_conflict_do_nothing()
        )
        return bool(inserted.rowcount)

    async def leave(self, group: Group, member_id: str) -> bool:
        """Remove a member; False when they were not one."""
        deleted = await self._connection.execute(
            delete(GroupMemberRow).where(
                _members.group_id == group.id, _members.member_id == member_id
            )
        )
        return bool(deleted.rowcount)

    async def members(self, group_id: int) -> list[str]:
        """Return a group's members, in the order they joined."""
        rows = await self._connection.execute(
            select(_members.member_id)
            .where(_members.group_id == group_id)
            .order_by(_members.joined_at, _members.member_id)
        )
        return [row.member_id for row in rows]

    async def counts(self, group_ids: Sequence[int]) -> dict[int, int]:
        """Return how many members each group has."""
        rows = await self._connection.execute(
            select(_members.group_id, func.count())
            .where(_members.group_id.in_(group_ids))
            .group_by(_members.group_id)
        )
        return {group_id: count for group_id, count in rows}

    async def move(self, group_id: int, source: str, target: str, **values: Any) -> bool:
        """Move a group from `source` to `target` status (compare-and-set), with `values`."""
        moved = await self._connection.execute(
            update(GroupRow)
            .where(_groups.id == group_id, _groups.status == source)
            .values(status=target, **values)
        )
        return bool(moved.rowcount)

    async def set(self, group_id: int, **values: Any) -> None:
        """Record where a group's proposal or space is, or its silence notice."""
        await self._connection.execute(
            update(GroupRow).where(_groups.id == group_id).values(**values)
        )

    async def last_post(self, group: Group) -> datetime | None:
        """Return when a member last posted in the group's space (from the interaction log)."""
        if group.space_channel_id is None:
            return None
        where = [
            _log.community_id == group.community_id,
            _log.channel_id == group.space_channel_id,
            _log.kind.in_(("message", "reply")),
            human(),
        ]
        if group.space_thread_id is not None:
            where.append(_log.thread_id == group.space_thread_id)
        found = await self._connection.scalar(select(func.max(_log.occurred_at)).where(*where))
        return found if isinstance(found, datetime) else None

    async def popular_interests(self, community_id: int, at_least: int) -> list[tuple[str, int]]:
        """Return declared interests shared by `at_least` members, with no live group on them."""
        live = select(_groups.topic_key).where(
            _groups.community_id == community_id, _groups.status.in_(LIVE)
        )
        rows = await self._connection.execute(
            select(_interests.topic, func.count())
            .where(and_(_interests.community_id == community_id, _interests.topic.not_in(live)))
            .group_by(_interests.topic)
            .having(func.count() >= at_least)
            .order_by(func.count().desc(), _interests.topic)
        )
        return [(topic, count) for topic, count in rows]

    # Personal data.

    async def memberships(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        """Return the groups a member belongs to, JSON-ready."""
        rows = await self._connection.execute(
            select(_groups.id, _groups.topic, _groups.status, _members.joined_at)
            .join(GroupRow.__table__, _groups.id == _members.group_id)
            .where(_members.community_id == community_id, _members.member_id == member_id)
            .order_by(_members.joined_at)
        )
        return [
            {
                "group": r.id,
                "topic": r.topic,
                "status": r.status,
                "joined_at": r.joined_at.isoformat(),
            }
            for r in rows
        ]

    async def erase_memberships(self, community_id: int, member_id: str) -> int:
        """Remove a member from every group."""
        deleted = await self._connection.execute(
            delete(GroupMemberRow).where(
                _members.community_id == community_id, _members.member_id == member_id
            )
        )
        return int(deleted.rowcount or 0)

    async def proposals(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        """Return the groups a member proposed, with what they wrote, JSON-ready."""
        rows = await self._connection.execute(
            select(_groups.id, _groups.topic, _groups.why, _groups.status, _groups.created_at)
            .where(_groups.community_id == community_id, _groups.proposer_id == member_id)
            .order_by(_groups.id)
        )
        return [
            {
                "group": r.id,
                "topic": r.topic,
                "why": r.why,
                "status": r.status,
                "proposed_at": r.created_at.isoformat(),
            }
            for r in rows
        ]

    async def erase_proposals(self, community_id: int, member_id: str) -> int:
        """Forget who proposed which group and why; the groups stay for their other members."""
        erased = await self._connection.execute(
            update(GroupRow)
            .where(_groups.community_id == community_id, _groups.proposer_id == member_id)
            .values(proposer_id=FORMER_PROPOSER, why="")
        )
        return int(erased.rowcount or 0)
