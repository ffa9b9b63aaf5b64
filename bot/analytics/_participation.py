"""Who took part: active members by day, rowers and passengers, concentration, newcomers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import CTE, ColumnElement, Date, Subquery, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._months import SETTLED
from bot.analytics._period import Period
from bot.analytics._scope import Scope, activity, as_date, as_driver_array
from bot.storage._base import insert_for
from bot.storage.analytics import ReportDayRow
from bot.storage.models import ActivityDailyRow, MemberRow

log = logging.getLogger(__name__)

_members = MemberRow.__table__.c
_activity = ActivityDailyRow.__table__.c
_days = ReportDayRow.__table__.c
RETENTION_DAYS = 30


@dataclass(frozen=True, kw_only=True, slots=True)
class DayActivity:
    """How many members were active on one day, and how many of them posted."""

    day: date
    active: int
    posters: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Participation:
    """Present members split into rowers (posted), reactors (only reacted) and passengers."""

    present: int
    rowers: int
    reactors: int

    @property
    def passengers(self) -> int:
        """Return the present members who did nothing in the period."""
        return self.present - self.rowers - self.reactors


@dataclass(frozen=True, kw_only=True, slots=True)
class Retention:
    """Members who arrived 60 to 30 days before the period's end, and those still active."""

    cohort: int
    retained: int


async def daily_activity(
    conn: AsyncConnection,
    scope: Scope,
    period: Period,
    *,
    stored: Mapping[date, DayActivity] | None = None,
) -> list[DayActivity]:
    """Return each day of the period with its active members and posters (zeros included).

    Days in `stored` (see `stored_days`) are taken as they are; only the days from
    the first to the last of the others are grouped.
    """
    stored = stored or {}
    missing = [day for day in period.each_day() if day not in stored]
    counts: dict[date, tuple[int, int]] = {}
    if missing:
        counted = Period(start=missing[0], end=missing[-1] + timedelta(days=1))
        source = activity(scope, counted, conn.dialect.name)
        stmt = select(
            source.c.day, func.count(), func.sum(case((source.c.posts > 0, 1), else_=0))
        ).group_by(source.c.day)
        counts = {
            as_date(day): (int(active), int(posters or 0))
            for day, active, posters in await conn.execute(stmt)
        }
    return [
        stored.get(day) or DayActivity(day=day, active=active, posters=posters)
        for day in period.each_day()
        for active, posters in (counts.get(day, (0, 0)),)
    ]


def settled_before(as_of: datetime) -> date:
    """Return the first day whose counts may still change at `as_of` (`SETTLED` after it)."""
    return (as_of - SETTLED).date()


async def stored_days(
    conn: AsyncConnection, community_id: int, scope: str, period: Period
) -> dict[date, DayActivity]:
    """Return the days of `period` stored for a community and scope (`scope_key`), by day."""
    stmt = select(_days.day, _days.active, _days.posters).where(
        _days.community_id == community_id,
        _days.scope == scope,
        _days.day >= period.start,
        _days.day < period.end,
    )
    return {
        as_date(day): DayActivity(day=as_date(day), active=int(active), posters=int(posters))
        for day, active, posters in await conn.execute(stmt)
    }


async def store_days(
    conn: AsyncConnection, community_id: int, scope: str, days: Sequence[DayActivity]
) -> None:
    """Store the counts of settled days; two reports may race to store the same day."""
    if not days:
        return
    insert = insert_for(conn.dialect.name, ReportDayRow.__table__)
    stmt = insert.on_conflict_do_nothing(
        index_elements=[_days.community_id, _days.scope, _days.day]
    )
    await conn.execute(
        stmt,
        [
            {
                "community_id": community_id,
                "scope": scope,
                "day": day.day,
                "active": day.active,
                "posters": day.posters,
            }
            for day in days
        ],
    )
    log.debug("stored %d settled days of community %d", len(days), community_id)


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberTotals:
    """What one pass over the period's activity tells: the split, posts, recent actives."""

    participation: Participation
    post_counts: list[int]
    active_last_7_days: int
    active_last_30_days: int


async def member_totals(conn: AsyncConnection, scope: Scope, period: Period) -> MemberTotals:
    """Sum the period's activity per member in one pass, and split present members.

    Present: arrived before the period's end and not gone before its start (counted in
    SQL), or active in the period whatever the members table says. Active members come
    back one row each (a small fraction of the rollup rows), with whether they stayed.
    """
    arrival = func.coalesce(_members.joined_at, _members.first_seen_at)
    stayed = and_(
        _members.is_bot.is_(False),
        arrival < period.until,
        or_(_members.left_at.is_(None), _members.left_at >= period.since),
    )
    present_stmt = select(func.count()).where(_members.community_id == scope.community_id, stayed)
    if scope.exclude:
        present_stmt = present_stmt.where(_members.member_id.not_in(sorted(scope.exclude)))
    present = int((await conn.execute(present_stmt)).scalar_one())
    week, month = period.end - timedelta(days=7), period.end - timedelta(days=30)
    member: Subquery | CTE
    if scope.channel_id is None and conn.dialect.name == "sqlite":
        member = _each_member(scope, period, stayed, week, month)
    else:
        member = _grouped(scope, period, stayed, week, month, conn.dialect.name)
    return await _summed(conn, member, present)


def _grouped(
    scope: Scope,
    period: Period,
    stayed: ColumnElement[bool],
    week: date,
    month: date,
    dialect: str,
) -> Subquery:
    """Return one row per member active in the period: the activity grouped by member.

    Whether each member was active lately is worked out in SQL: ~100,000 plain
    integers come back, with no day to convert in Python.
    """
    source = activity(scope, period, dialect)
    totals = (
        select(
            source.c.member_id,
            func.sum(source.c.posts).label("posts"),
            func.max(case((_on_or_after(source.c.day, week), 1), else_=0)).label("last_7"),
            func.max(case((_on_or_after(source.c.day, month), 1), else_=0)).label("last_30"),
        )
        .group_by(source.c.member_id)
        .subquery("totals")
    )
    stmt = select(
        totals.c.posts,
        totals.c.last_7,
        totals.c.last_30,
        func.coalesce(_members.is_bot, False),
        case((stayed, 1), else_=0),
    ).select_from(
        totals.outerjoin(
            MemberRow.__table__,
            and_(
                _members.community_id == scope.community_id,
                _members.member_id == totals.c.member_id,
            ),
        )
    )
    return stmt.subquery("member")


def _each_member(
    scope: Scope, period: Period, stayed: ColumnElement[bool], week: date, month: date
) -> CTE:
    """Return one row per member of the community, from their own rollup rows (SQLite).

    Grouping a period's million rollup rows by member makes SQLite sort them all;
    reading each member's rows through the rollups' primary key (community, member,
    day) needs no sort and takes about half the time (`bench/README.md`). Every
    rollup row has its member's row (the writer writes both in one transaction,
    erasure removes both), so walking the members misses no one. Members with no
    activity in the period have no posts (NULL).
    """
    own = and_(
        _activity.community_id == _members.community_id,
        _activity.member_id == _members.member_id,
        _activity.day < period.end,
    )
    posts = (
        select(func.sum(_activity.messages + _activity.replies))
        .where(own, _activity.day >= period.start)
        .scalar_subquery()
    )
    last_day = select(func.max(_activity.day)).where(own).scalar_subquery()
    stmt = select(
        posts.label("posts"),
        case((last_day >= week, 1), else_=0).label("last_7"),
        case((last_day >= month, 1), else_=0).label("last_30"),
        _members.is_bot,
        case((stayed, 1), else_=0).label("stayed"),
    ).where(_members.community_id == scope.community_id)
    if scope.exclude:
        stmt = stmt.where(_members.member_id.not_in(sorted(scope.exclude)))
    # Materialized: each member's subqueries run once, not once for each use below.
    return stmt.cte("member").prefix_with("MATERIALIZED")


async def _summed(conn: AsyncConnection, member: Subquery | CTE, present: int) -> MemberTotals:
    """Fold the per-member rows of `member_totals` into one row, in the database.

    A member whose posts are NULL was not active in the period. The rowers' post
    counts come back as one value (an array on PostgreSQL, a list of numbers as text
    on SQLite): no row per member is built in Python, where 100,000 of them held the
    interpreter for a quarter of a second.
    """
    posts, lately, this_month, is_bot, stayed = member.c
    human = and_(~is_bot, posts.is_not(None))
    rowing = and_(human, posts != 0)

    def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count().filter(condition)

    if conn.dialect.name == "postgresql":
        counts_of: ColumnElement[Any] = as_driver_array(func.array_agg(posts).filter(rowing))
    else:
        counts_of = func.group_concat(posts).filter(rowing)
    stmt = select(
        counted(and_(human, stayed == 0)),
        counted(rowing),
        counted(and_(human, posts == 0)),
        func.coalesce(func.sum(lately).filter(human), 0),
        func.coalesce(func.sum(this_month).filter(human), 0),
        counts_of,
    )
    away, rowers, reactors, last_7, last_30, counts = (await conn.execute(stmt)).one()
    if isinstance(counts, str):
        counts = counts.split(",")
    return MemberTotals(
        participation=Participation(present=present + away, rowers=rowers, reactors=reactors),
        post_counts=list(map(int, counts or ())),
        active_last_7_days=int(last_7),
        active_last_30_days=int(last_30),
    )


def _on_or_after(day: ColumnElement[Any], first: date) -> ColumnElement[bool]:
    """Compare a day of either activity source (a date, or ISO text on SQLite's log)."""
    return day >= (first if isinstance(day.type, Date) else first.isoformat())


async def newcomers(conn: AsyncConnection, scope: Scope, period: Period) -> int:
    """Return how many members arrived (joined, or were first seen) during the period."""
    arrival = func.coalesce(_members.joined_at, _members.first_seen_at)
    stmt = select(func.count()).where(
        _members.community_id == scope.community_id,
        _members.is_bot.is_(False),
        arrival >= period.since,
        arrival < period.until,
    )
    if scope.exclude:
        stmt = stmt.where(_members.member_id.not_in(sorted(scope.exclude)))
    return int((await conn.execute(stmt)).scalar_one())


async def retention(conn: AsyncConnection, scope: Scope, period: Period) -> Retention:
    """Return the 30-day retention cohort: arrived 60 to 30 days before the period's end.

    A member is retained when active on a day at least 30 days after the day they
    arrived, up to the period's end (anywhere in the community).
    """
    arrival = func.coalesce(_members.joined_at, _members.first_seen_at)
    cohort_until = period.until - timedelta(days=RETENTION_DAYS)
    cohort_since = cohort_until - timedelta(days=RETENTION_DAYS)
    stmt = (
        select(_members.member_id, arrival.label("arrival"), func.max(_activity.day))
        .select_from(
            MemberRow.__table__.outerjoin(
                ActivityDailyRow.__table__,
                and_(
                    _activity.community_id == _members.community_id,
                    _activity.member_id == _members.member_id,
                    _activity.day < period.end,
                ),
            )
        )
        .where(
            _members.community_id == scope.community_id,
            _members.is_bot.is_(False),
            arrival >= cohort_since,
            arrival < cohort_until,
        )
        .group_by(_members.member_id, arrival)
    )
    if scope.exclude:
        stmt = stmt.where(_members.member_id.not_in(sorted(scope.exclude)))
    cohort = retained = 0
    for _member, arrived, last_day in await conn.execute(stmt):
        cohort += 1
        if last_day is not None and as_date(last_day) >= arrived.date() + timedelta(
            days=RETENTION_DAYS
        ):
            retained += 1
    return Retention(cohort=cohort, retained=retained)
