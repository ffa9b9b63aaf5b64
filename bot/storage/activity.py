"""Activity levels in storage: summaries from the daily rollups, and monthly snapshots."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Select,
    String,
    Subquery,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.activity import LEVELS, Level, LevelMove, MemberActivity, Thresholds, moves, window_start
from bot.storage._base import Repository
from bot.storage._measured import MeasuredScope
from bot.storage.models import ActivityDailyRow, Base, MemberRow

log = logging.getLogger(__name__)

_activity = ActivityDailyRow.__table__.c
_members = MemberRow.__table__.c


class ActivityLevelRow(Base):
    """A member's activity level in one month (the latest classification of that month)."""

    __tablename__ = "activity_levels"
    __table_args__ = (
        CheckConstraint("level IN (" + ", ".join(f"'{v}'" for v in LEVELS) + ")", name="level"),
        # Reports read one month of a community at a time: level movements compare two.
        Index("ix_activity_levels_community_month", "community_id", "month", "member_id", "level"),
    )

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime]


_levels = ActivityLevelRow.__table__.c
_LEVELS = {level.value: level for level in Level}


class ActivityLevels(Repository):
    """Member activity summaries (from the rollups) and monthly level snapshots."""

    async def summaries(
        self, community_id: int, today: date, thresholds: Thresholds
    ) -> list[MemberActivity]:
        """Summarise every present, human member's activity up to `today`, by member id.

        One aggregate query over the rollups (never the raw log), joined to members.
        """
        per_member = self._per_member(community_id, today, thresholds)
        stmt = self._present(
            per_member,
            _members.joined_at,
            per_member.c.spoke,
            per_member.c.last_active,
            per_member.c.days,
        ).where(_members.community_id == community_id)
        return [
            MemberActivity(
                member_id=row.member_id,
                joined=None if row.joined_at is None else row.joined_at.date(),
                spoke=int(row.spoke or 0),
                last_active=_day(row.last_active),
                active_days=int(row.days or 0),
            )
            for row in await self._connection.execute(stmt)
        ]

    def levels_query(self, community_id: int, today: date, thresholds: Thresholds) -> Select[Any]:
        """Return a query of (member_id, display_name, level, member_key) of present humans.

        The level follows the rules of `bot.activity.classify`, evaluated by the database
        in the aggregate query (the contract tests check both agree); `member_key` is the
        member's row id, a stable integer other queries can order by.
        """
        per_member = self._per_member(community_id, today, thresholds)
        joined_recently = datetime.combine(
            today - timedelta(days=thresholds.new_days - 1), time.min, tzinfo=UTC
        )
        quiet_since = today - timedelta(days=thresholds.quiet_after_days)
        level = case(
            (_members.joined_at >= joined_recently, Level.NEW.value),
            (func.coalesce(per_member.c.spoke, 0) == 0, Level.NEVER_SPOKE.value),
            (
                or_(per_member.c.last_active.is_(None), per_member.c.last_active <= quiet_since),
                Level.QUIET.value,
            ),
            (per_member.c.days >= thresholds.core_days, Level.CORE.value),
            (per_member.c.days >= thresholds.active_days, Level.ACTIVE.value),
            else_=Level.OCCASIONAL.value,
        )
        stmt = self._present(
            per_member,
            _members.display_name,
            level.label("level"),
            _members.id.label("member_key"),
        )
        return stmt.where(_members.community_id == community_id).order_by(None)

    async def levels(
        self, community_id: int, today: date, thresholds: Thresholds
    ) -> dict[str, Level]:
        """Return the level of every present, human member of a community on `today`.

        The database applies `bot.activity.classify`'s rules in its aggregate query
        (fast on big communities); the contract tests check it agrees with `classify`.
        """
        standings = await self.standings(community_id, today, thresholds)
        return {member: level for member, _, level, _ in standings}

    async def standings(
        self, community_id: int, today: date, thresholds: Thresholds
    ) -> list[tuple[str, str, Level, int]]:
        """Return (member id, display name, level, member key) of each present, human member.

        A community of 100,000 members comes back as short strings, not timestamps to parse.
        """
        rows = await self._connection.execute(self.levels_query(community_id, today, thresholds))
        return [(member, name, _LEVELS[value], key) for member, name, value, key in rows]

    def _per_member(self, community_id: int, today: date, thresholds: Thresholds) -> Subquery:
        start = window_start(today, thresholds)
        # Messages, replies and reactions count; commands and clicks on the bot do not.
        took_part = (_activity.messages + _activity.replies + _activity.reactions) > 0
        return (
            select(
                _activity.member_id.label("member_id"),
                func.sum(_activity.messages + _activity.replies).label("spoke"),
                func.max(case((took_part, _activity.day))).label("last_active"),
                func.sum(case((and_(took_part, _activity.day >= start), 1), else_=0)).label("days"),
            )
            .where(_activity.community_id == community_id, _activity.day <= today)
            .group_by(_activity.member_id)
            .subquery()
        )

    def _present(self, per_member: Subquery, *columns: ColumnElement[Any]) -> Select[Any]:
        """Select `columns` for present, human members, joined to their aggregates."""
        return (
            select(_members.member_id, *columns)
            .select_from(
                MemberRow.__table__.outerjoin(
                    per_member, per_member.c.member_id == _members.member_id
                )
            )
            .where(_members.left_at.is_(None), _members.is_bot.is_(False))
            .order_by(_members.member_id)
        )

    async def spoke_before(
        self, community_id: int, member_id: str, day: date
    ) -> tuple[int, date | None]:
        """Return a member's messages and replies before `day`, and their last active day then."""
        took_part = (_activity.messages + _activity.replies + _activity.reactions) > 0
        stmt = select(
            func.sum(_activity.messages + _activity.replies),
            func.max(case((took_part, _activity.day))),
        ).where(
            _activity.community_id == community_id,
            _activity.member_id == member_id,
            _activity.day < day,
        )
        spoke, last = (await self._connection.execute(stmt)).one()
        return int(spoke or 0), _day(last)

    async def record_month(
        self, community_id: int, month: date, levels: Mapping[str, Level]
    ) -> None:
        """Store each member's level for `month` (replacing an earlier one of that month)."""
        if not levels:
            return
        stmt = self._insert(ActivityLevelRow.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_levels.community_id, _levels.member_id, _levels.month],
            set_={"level": stmt.excluded.level, "recorded_at": stmt.excluded.recorded_at},
        )
        now = self._clock.now()
        await self._connection.execute(
            stmt,
            [
                {
                    "community_id": community_id,
                    "member_id": member,
                    "month": month,
                    "level": level.value,
                    "recorded_at": now,
                }
                for member, level in levels.items()
            ],
        )

    async def of_month(self, community_id: int, month: date) -> dict[str, Level]:
        """Return the levels recorded for `month`, keyed by member id."""
        stmt = select(_levels.member_id, _levels.level).where(
            and_(_levels.community_id == community_id, _levels.month == month)
        )
        return {member: Level(level) for member, level in await self._connection.execute(stmt)}

    async def movements(self, community_id: int, before: date, after: date) -> list[LevelMove]:
        """Return the members whose level differs between the snapshots of two months."""
        return moves(
            await self.of_month(community_id, before), await self.of_month(community_id, after)
        )

    async def erase_member(self, community_id: int, member_id: str) -> None:
        """Delete a member's level history (data erasure)."""
        await self._connection.execute(
            delete(ActivityLevelRow).where(
                _levels.community_id == community_id, _levels.member_id == member_id
            )
        )

    async def level_moves(
        self,
        scope: MeasuredScope,
        before: date,
        after: date,
        *,
        ranks: Mapping[str, int],
        limit: int,
    ) -> LevelMoves:
        """Return how many human members went from each level to each, and who moved.

        The movers up and down (by `ranks`; a level without a rank never moves) are
        named by display name, the first `limit` by name then id. One statement: the
        pairs are joined once (a materialized common table), then counted and the
        first movers each way picked from them. Joining them once for each of the
        three was most of the time (SQLite), and reading them all back to count in
        Python cost more than the join (SQLite: 89,000 rows).
        """
        pairs = (
            select(
                _EARLIER.c.level.label("was"),
                _LATER.c.level.label("now"),
                case(ranks, value=_EARLIER.c.level, else_=None).label("rank_was"),
                case(ranks, value=_LATER.c.level, else_=None).label("rank_now"),
                _members.display_name.label("name"),
                _members.member_id.label("member_id"),
            )
            .select_from(_moves_joined(after))
            .where(*_moves_where(scope, before))
            .cte("pairs")
            .prefix_with("MATERIALIZED")
        )
        counted = select(
            literal("pair", String()).label("part"),
            pairs.c.was,
            pairs.c.now,
            func.count().label("members"),
            null().label("member_id"),
        ).group_by(pairs.c.was, pairs.c.now)
        parts = [counted]
        for part, moved in (
            ("up", pairs.c.rank_now > pairs.c.rank_was),
            ("down", pairs.c.rank_now < pairs.c.rank_was),
        ):
            first = (
                select(pairs.c.name, pairs.c.member_id)
                .where(moved)
                .order_by(pairs.c.name, pairs.c.member_id)
                .limit(limit)
                .subquery(f"first_{part}")
            )
            # Numbered in the database's own order of names (its collation).
            position = func.row_number().over(order_by=(first.c.name, first.c.member_id))
            parts.append(
                select(literal(part, String()), first.c.name, null(), position, first.c.member_id)
            )
        counts: dict[tuple[str, str], int] = {}
        movers: dict[str, list[tuple[int, str]]] = {"up": [], "down": []}
        for part, was_or_name, now, number, _member in await self._connection.execute(
            union_all(*parts)
        ):
            if part == "pair":
                counts[(str(was_or_name), str(now))] = int(number)
            else:
                movers[part].append((int(number), str(was_or_name)))
        return LevelMoves(
            pairs=counts,
            up=tuple(name for _, name in sorted(movers["up"])),
            down=tuple(name for _, name in sorted(movers["down"])),
        )

    async def recorded(self, community_id: int, month: date) -> bool:
        """Return whether the levels of `month` were recorded for the community."""
        recorded = exists(
            select(_levels.member_id).where(
                _levels.community_id == community_id, _levels.month == month
            )
        )
        return bool((await self._connection.execute(select(recorded))).scalar_one())


@dataclass(kw_only=True, slots=True)
class LevelMoves:
    """Members per (level before, level after), and the first movers up and down by name."""

    pairs: dict[tuple[str, str], int]
    up: tuple[str, ...] = ()
    down: tuple[str, ...] = ()

    def count(self, ranks: Mapping[str, int], *, up: bool) -> int:
        """Return how many moved up (or down) by `ranks`."""
        return sum(
            count
            for (was, now), count in self.pairs.items()
            if was in ranks
            and now in ranks
            and (ranks[now] > ranks[was] if up else ranks[now] < ranks[was])
        )


_EARLIER = ActivityLevelRow.__table__.alias("earlier")
_LATER = ActivityLevelRow.__table__.alias("later")


def _moves_joined(after: date) -> Any:
    """Join each member's earlier level to their level in `after`, and to the member."""
    return _EARLIER.join(
        _LATER,
        and_(
            _LATER.c.community_id == _EARLIER.c.community_id,
            _LATER.c.member_id == _EARLIER.c.member_id,
            _LATER.c.month == after,
        ),
    ).join(
        MemberRow.__table__,
        and_(
            _members.community_id == _EARLIER.c.community_id,
            _members.member_id == _EARLIER.c.member_id,
        ),
    )


def _moves_where(scope: MeasuredScope, before: date) -> tuple[ColumnElement[bool], ...]:
    return (
        _EARLIER.c.community_id == scope.community_id,
        _EARLIER.c.month == before,
        _members.is_bot.is_(False),
        scope.keeps(_EARLIER.c.member_id),
    )


def _day(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
