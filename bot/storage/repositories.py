"""Repositories: the storage operations features and the scheduler rely on.

Each repository works inside the transaction of the `UnitOfWork` that owns it;
nothing here commits. Times the caller does not pass come from the injected clock.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Row

from bot.storage._base import Repository, require_aware
from bot.storage._interactions import Interactions
from bot.storage._ledger import Ledger
from bot.storage._outbox import Outbox
from bot.storage._rotation import Rotation
from bot.storage._statements import member_seen_upsert
from bot.storage.models import (
    OPTOUT_SCOPES,
    PAUSE_REASONS,
    ChannelRow,
    CommunityRow,
    MemberRow,
    OptOutRow,
    RitualRow,
)
from bot.storage.records import ChannelRecord, CommunityRecord, MemberRecord, RitualState

log = logging.getLogger(__name__)

__all__ = [
    "Channels",
    "Communities",
    "Interactions",
    "Ledger",
    "Members",
    "OptOuts",
    "Outbox",
    "Rituals",
    "Rotation",
]

_communities = CommunityRow.__table__.c
_members = MemberRow.__table__.c
_channels = ChannelRow.__table__.c
_rituals = RitualRow.__table__.c
_optouts = OptOutRow.__table__.c


class Communities(Repository):
    """The communities the bot serves, keyed by `platform:id`."""

    async def ensure(
        self, key: str, platform: str, platform_id: str, name: str, *, at: datetime | None = None
    ) -> int:
        """Return the id of community `key`, creating it if needed (race-safe).

        An existing row takes the new name; a departure stays recorded until
        `mark_back` (a restart re-reads the config but does not mean Terreau is back).
        """
        stmt = self._insert(CommunityRow.__table__).values(
            key=key,
            platform=platform,
            platform_id=platform_id,
            name=name,
            created_at=self._now(at),
            left_at=None,
        )
        upsert = stmt.on_conflict_do_update(
            index_elements=[_communities.key],
            set_={"name": stmt.excluded.name},
        ).returning(_communities.id)
        return int((await self._connection.execute(upsert)).scalar_one())

    async def id_of(self, key: str) -> int | None:
        """Return the id of community `key`, or None if it was never stored."""
        stmt = select(_communities.id).where(_communities.key == key)
        return (await self._connection.execute(stmt)).scalar_one_or_none()

    async def get(self, key: str) -> CommunityRecord | None:
        """Return community `key`, or None."""
        stmt = select(CommunityRow.__table__).where(_communities.key == key)
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _community(row)

    async def all(self) -> list[CommunityRecord]:
        """Return every stored community, by id."""
        stmt = select(CommunityRow.__table__).order_by(_communities.id)
        return [_community(row) for row in await self._connection.execute(stmt)]

    async def ids(self) -> dict[str, int]:
        """Return the key -> id map of every stored community."""
        stmt = select(_communities.key, _communities.id)
        return {key: id_ for key, id_ in await self._connection.execute(stmt)}

    async def mark_left(self, community_id: int, *, at: datetime | None = None) -> None:
        """Record that the bot was removed from a community; the first removal counts."""
        stmt = (
            update(CommunityRow)
            .where(_communities.id == community_id, _communities.left_at.is_(None))
            .values(left_at=self._now(at))
        )
        await self._connection.execute(stmt)

    async def mark_back(self, community_id: int) -> None:
        """Record that the bot is in a community again: any departure is forgotten."""
        stmt = update(CommunityRow).where(_communities.id == community_id).values(left_at=None)
        await self._connection.execute(stmt)


class Members(Repository):
    """Members seen in each community (the interaction writer keeps them current)."""

    async def upsert_seen(
        self,
        community_id: int,
        member_id: str,
        display_name: str,
        *,
        is_bot: bool = False,
        joined_at: datetime | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record that a member was seen at `at` (now by default), with their current name."""
        seen = self._now(at)
        await self._connection.execute(
            member_seen_upsert(self._dialect),
            [
                {
                    "community_id": community_id,
                    "member_id": member_id,
                    "display_name": display_name,
                    "is_bot": is_bot,
                    "joined_at": joined_at,
                    "left_at": None,
                    "first_seen_at": seen,
                    "last_seen_at": seen,
                }
            ],
        )

    async def mark_joined(self, community_id: int, member_id: str, at: datetime) -> None:
        """Record a (re)join: set `joined_at` and clear `left_at` of a known member."""
        stmt = (
            update(MemberRow)
            .where(_members.community_id == community_id, _members.member_id == member_id)
            .values(joined_at=require_aware(at, "at"), left_at=None)
        )
        await self._connection.execute(stmt)

    async def mark_left(self, community_id: int, member_id: str, at: datetime) -> None:
        """Record that a known member left the community at `at`."""
        stmt = (
            update(MemberRow)
            .where(_members.community_id == community_id, _members.member_id == member_id)
            .values(left_at=require_aware(at, "at"))
        )
        await self._connection.execute(stmt)

    async def get(self, community_id: int, member_id: str) -> MemberRecord | None:
        """Return one member, or None if never seen."""
        stmt = select(MemberRow.__table__).where(
            _members.community_id == community_id, _members.member_id == member_id
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _member(row)

    async def present(self, community_id: int, *, include_bots: bool = False) -> list[MemberRecord]:
        """Return the members who have not left, ordered by member id."""
        stmt = select(MemberRow.__table__).where(
            _members.community_id == community_id, _members.left_at.is_(None)
        )
        if not include_bots:
            stmt = stmt.where(_members.is_bot.is_(False))
        stmt = stmt.order_by(_members.member_id)
        return [_member(row) for row in await self._connection.execute(stmt)]


class Channels(Repository):
    """What the bot knows about channels: a name and a purpose."""

    async def upsert(
        self,
        community_id: int,
        channel_id: str,
        *,
        name: str | None = None,
        purpose: str | None = None,
    ) -> None:
        """Store a channel's name and purpose (None keeps the stored value)."""
        stmt = self._insert(ChannelRow.__table__).values(
            community_id=community_id, channel_id=channel_id, name=name, purpose=purpose
        )
        changes = {
            column: getattr(stmt.excluded, column)
            for column, value in (("name", name), ("purpose", purpose))
            if value is not None
        }
        keys = [_channels.community_id, _channels.channel_id]
        if changes:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_=changes)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        await self._connection.execute(stmt)

    async def get(self, community_id: int, channel_id: str) -> ChannelRecord | None:
        """Return one channel, or None."""
        stmt = select(ChannelRow.__table__).where(
            _channels.community_id == community_id, _channels.channel_id == channel_id
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _channel(row)

    async def with_purpose(self, community_id: int, purpose: str) -> list[ChannelRecord]:
        """Return the channels given `purpose`, by channel id."""
        stmt = (
            select(ChannelRow.__table__)
            .where(_channels.community_id == community_id, _channels.purpose == purpose)
            .order_by(_channels.channel_id)
        )
        return [_channel(row) for row in await self._connection.execute(stmt)]


class Rituals(Repository):
    """Per-community ritual state: paused or running."""

    async def get(self, community_id: int, name: str) -> RitualState | None:
        """Return the state of ritual `name`, or None if it was never paused or resumed."""
        stmt = select(RitualRow.__table__).where(
            _rituals.community_id == community_id, _rituals.name == name
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _ritual(row)

    async def set_paused(
        self,
        community_id: int,
        name: str,
        paused: bool,
        reason: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> RitualState:
        """Pause (with a reason: `moderator` or `dead_channel`) or resume a ritual."""
        if paused and reason not in PAUSE_REASONS:
            raise ValueError(f"pause reason must be one of {PAUSE_REASONS}, got {reason!r}")
        moment = self._now(at)
        values = {
            "community_id": community_id,
            "name": name,
            "paused": paused,
            "paused_reason": reason if paused else None,
            "paused_at": moment if paused else None,
            "paused_by": by if paused else None,
            "updated_at": moment,
        }
        stmt = self._insert(RitualRow.__table__).values(**values)
        upsert = stmt.on_conflict_do_update(
            index_elements=[_rituals.community_id, _rituals.name],
            set_={
                key: getattr(stmt.excluded, key)
                for key in values
                if key not in ("community_id", "name")
            },
        ).returning(*RitualRow.__table__.c)
        return _ritual((await self._connection.execute(upsert)).one())

    async def all(self, community_id: int) -> list[RitualState]:
        """Return the stored state of every ritual of a community, by name."""
        stmt = (
            select(RitualRow.__table__)
            .where(_rituals.community_id == community_id)
            .order_by(_rituals.name)
        )
        return [_ritual(row) for row in await self._connection.execute(stmt)]


class OptOuts(Repository):
    """Members who refused tagging or direct messages; kept through data erasure."""

    async def add(self, community_id: int, member_id: str, scope: str) -> bool:
        """Record an opt-out; return False if it was already there."""
        _check_scope(scope)
        stmt = (
            self._insert(OptOutRow.__table__)
            .values(
                community_id=community_id,
                member_id=member_id,
                scope=scope,
                created_at=self._clock.now(),
            )
            .on_conflict_do_nothing(
                index_elements=[_optouts.community_id, _optouts.member_id, _optouts.scope]
            )
            .returning(_optouts.member_id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def remove(self, community_id: int, member_id: str, scope: str) -> bool:
        """Withdraw an opt-out; return False if there was none."""
        _check_scope(scope)
        stmt = (
            delete(OptOutRow)
            .where(
                _optouts.community_id == community_id,
                _optouts.member_id == member_id,
                _optouts.scope == scope,
            )
            .returning(_optouts.member_id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def has(self, community_id: int, member_id: str, scope: str) -> bool:
        """Return whether a member opted out of `scope`."""
        _check_scope(scope)
        stmt = select(_optouts.member_id).where(
            _optouts.community_id == community_id,
            _optouts.member_id == member_id,
            _optouts.scope == scope,
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def members(self, community_id: int, scope: str) -> frozenset[str]:
        """Return the ids of every member of a community who opted out of `scope`."""
        _check_scope(scope)
        stmt = select(_optouts.member_id).where(
            _optouts.community_id == community_id, _optouts.scope == scope
        )
        return frozenset((await self._connection.execute(stmt)).scalars())


def _check_scope(scope: str) -> None:
    if scope not in OPTOUT_SCOPES:
        raise ValueError(f"opt-out scope must be one of {OPTOUT_SCOPES}, got {scope!r}")


def _community(row: Row[tuple[object, ...]]) -> CommunityRecord:
    m = row._mapping
    return CommunityRecord(
        id=m["id"],
        key=m["key"],
        platform=m["platform"],
        platform_id=m["platform_id"],
        name=m["name"],
        created_at=m["created_at"],
        left_at=m["left_at"],
    )


def _member(row: Row[tuple[object, ...]]) -> MemberRecord:
    m = row._mapping
    return MemberRecord(
        community_id=m["community_id"],
        member_id=m["member_id"],
        display_name=m["display_name"],
        is_bot=bool(m["is_bot"]),
        joined_at=m["joined_at"],
        left_at=m["left_at"],
        first_seen_at=m["first_seen_at"],
        last_seen_at=m["last_seen_at"],
    )


def _channel(row: Row[tuple[object, ...]]) -> ChannelRecord:
    m = row._mapping
    return ChannelRecord(
        community_id=m["community_id"],
        channel_id=m["channel_id"],
        name=m["name"],
        purpose=m["purpose"],
    )


def _ritual(row: Row[tuple[object, ...]]) -> RitualState:
    m = row._mapping
    return RitualState(
        community_id=m["community_id"],
        name=m["name"],
        paused=bool(m["paused"]),
        paused_reason=m["paused_reason"],
        paused_at=m["paused_at"],
        paused_by=m["paused_by"],
        updated_at=m["updated_at"],
    )
