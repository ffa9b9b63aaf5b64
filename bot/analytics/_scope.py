"""What a report looks at: a community or one of its channels, minus excluded members.

Every metric reads a per-member, per-day activity source with the same columns
(`member_id`, `day`, `posts`, `reactions`, `other`): the daily rollups for a
whole community, or the same sums computed from the interaction log for one
channel. Bots never appear in either.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    FromClause,
    Integer,
    String,
    Subquery,
    case,
    cast,
    false,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

from bot.analytics._period import Period
from bot.storage.analytics import ROLLUP_KINDS
from bot.storage.models import ActivityDailyRow, InteractionLogRow

log = logging.getLogger(__name__)

_activity = ActivityDailyRow.__table__.c
_log = InteractionLogRow.__table__.c
POST_KINDS = ROLLUP_KINDS["messages"] + ROLLUP_KINDS["replies"]
COUNTED_KINDS = tuple(kind for kinds in ROLLUP_KINDS.values() for kind in kinds)


class Measured:
    """What a report counts once for every unit that needs it: each period's active members.

    The report promises a period's count before its units start, and its members'
    activity unit keeps the promise; a provider awaiting it (through
    `Scope.active_members`) so reads no rollup the report already grouped.
    """

    def __init__(self) -> None:
        self._active: dict[tuple[date, date], asyncio.Future[int]] = {}

    def promise(self, period: Period) -> asyncio.Future[int]:
        """Return the future count of `period`'s active members (made once)."""
        key = (period.start, period.end)
        future = self._active.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            # A failure is the members' activity unit's to report, not each reader's.
            future.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._active[key] = future
        return future

    async def active(self, period: Period) -> int | None:
        """Return `period`'s active members once counted, or None if none was promised."""
        future = self._active.get((period.start, period.end))
        return None if future is None else await asyncio.shield(future)


@dataclass(frozen=True, kw_only=True, slots=True)
class Scope:
    """A community (by database id), optionally one channel, and who is left out."""

    community_id: int
    channel_id: str | None = None
    exclude: frozenset[str] = frozenset()
    unanswered_after: timedelta = timedelta(hours=24)
    timezone: str = "UTC"
    """The community's IANA timezone: weekdays and hours of the heatmap are its own."""
    measured: Measured | None = field(default=None, compare=False, repr=False)
    """What the report being built counts once for all its units (None outside one)."""

    def counts(self, member_id: str | None) -> bool:
        """Tell whether a member's doings count in this scope's figures (not excluded)."""
        return member_id is not None and member_id not in self.exclude

    def keeps(self, member: ColumnElement[Any]) -> ColumnElement[bool]:
        """Return a SQL condition true for rows of members who count (not excluded)."""
        if not self.exclude:
            return true()
        return member.not_in(sorted(self.exclude))

    async def active_members(self, period: Period) -> int | None:
        """Return the members active in `period` as the report counts them (None: not known).

        Active: any activity in the rollups, members known as bots and excluded
        members left out (the report's `active` figure). Known inside a report, once
        its members' activity is read; a provider counts them itself on None.
        """
        return None if self.measured is None else await self.measured.active(period)


def human(table: FromClause) -> ColumnElement[bool]:
    """Return a condition true for log rows (of `table`, the log or an alias) not by a bot."""
    return func.coalesce(table.c.meta["bot"].as_boolean(), false()) == false()


def activity(scope: Scope, period: Period, dialect: str) -> Subquery:
    """Return the activity source of `scope` over `period`: one row per member and day."""
    if scope.channel_id is None:
        stmt = select(
            _activity.member_id.label("member_id"),
            _activity.day.label("day"),
            (_activity.messages + _activity.replies).label("posts"),
            _activity.reactions.label("reactions"),
            _activity.other.label("other"),
        ).where(
            _activity.community_id == scope.community_id,
            _activity.day >= period.start,
            _activity.day < period.end,
        )
        if scope.exclude:
            stmt = stmt.where(_activity.member_id.not_in(sorted(scope.exclude)))
        return stmt.subquery("activity")
    day = log_day(dialect)
    stmt = (
        select(
            _log.member_id.label("member_id"),
            day.label("day"),
            _count_of(POST_KINDS).label("posts"),
            _count_of(ROLLUP_KINDS["reactions"]).label("reactions"),
            _count_of(ROLLUP_KINDS["other"]).label("other"),
        )
        .where(
            _log.community_id == scope.community_id,
            _log.channel_id == scope.channel_id,
            _log.occurred_at >= period.since,
            _log.occurred_at < period.until,
            _log.kind.in_(COUNTED_KINDS),
            _log.member_id.is_not(None),
            human(InteractionLogRow.__table__),
        )
        .group_by(_log.member_id, day)
    )
    if scope.exclude:
        stmt = stmt.where(_log.member_id.not_in(sorted(scope.exclude)))
    return stmt.subquery("activity")


def as_driver_array(aggregate: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return a PostgreSQL array aggregate as the driver decodes it, element by element.

    SQLAlchemy's `ARRAY` type walks every element of a result in Python (0.26 s for the
    115,000 pairs of a large period's answered questions); asyncpg's decoded lists are
    already the numbers a report needs.
    """
    return type_coerce(aggregate, NullType())


def epoch(dialect: str, column: ColumnElement[Any]) -> ColumnElement[float]:
    """Return seconds since the epoch of a stored timestamp, fraction included."""
    if dialect == "sqlite":
        # "YYYY-MM-DD HH:MM:SS.ffffff": whole seconds, then the fraction as it is written.
        whole = cast(func.strftime("%s", column), Integer)
        return cast(whole + cast(func.substr(column, 20), Float), Float)
    return cast(func.extract("epoch", column), Float)


def log_day(dialect: str) -> ColumnElement[object]:
    """Return the UTC day of a log row, as the rollups count it."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", _log.occurred_at), Date)
    # SQLite keeps UTC timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text.
    return func.substr(_log.occurred_at, 1, 10, type_=String())


def as_date(value: object) -> date:
    """Return a day read from either source (a date, or ISO text on SQLite)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _count_of(kinds: tuple[str, ...]) -> ColumnElement[int]:
    return func.sum(case((_log.kind.in_(kinds), 1), else_=0))
