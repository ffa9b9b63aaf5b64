"""Twelve months at a glance: active members, rowers' share, concentration, retention.

Each of the last twelve complete calendar months (UTC), read in one pass over the
daily rollups: per member and month their posts, then per month the active
members, the rowers among them and the posts of the top tenth of rowers (ranked in
SQL, so only twelve rows come back). Present members per month come from one pass
over the members table; newcomer retention from the month's cohort. Months a
report stored once settled are read, not counted again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._cohorts import COHORT_MONTHS, Cohorts
from bot.analytics._months import (
    StoredMonth,
    month_number,
    month_number_of,
    month_of,
    month_start,
)
from bot.analytics._scope import Scope
from bot.storage.models import ActivityDailyRow, MemberRow

log = logging.getLogger(__name__)

_members = MemberRow.__table__.c
_activity = ActivityDailyRow.__table__.c

MIN_MONTHS = 3
"""Months with activity needed before the trends are shown."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Month:
    """One calendar month of a community: who was around, who posted, who stayed."""

    month: date
    active: int
    present: int
    rowers: int
    posts: int
    top_posts: int
    """Posts of the top tenth of that month's rowers (at least one rower)."""
    newcomers: int
    retained: int | None
    """Newcomers of the month active the month after (None until that month is over)."""

    @property
    def rowers_share(self) -> float | None:
        """Return the share of present members who posted."""
        return self.rowers / self.present if self.present else None

    @property
    def top_share(self) -> float | None:
        """Return the share of the month's posts written by its top tenth of rowers."""
        return self.top_posts / self.posts if self.posts else None

    @property
    def retention(self) -> float | None:
        """Return the share of the month's newcomers active the month after."""
        if self.retained is None or not self.newcomers:
            return None
        return self.retained / self.newcomers


@dataclass(frozen=True, kw_only=True, slots=True)
class Trends:
    """The last twelve complete months, oldest first, from the first with activity."""

    months: tuple[Month, ...]

    @property
    def enough(self) -> bool:
        """Tell whether enough months have activity for trends to mean something."""
        return sum(1 for month in self.months if month.active) >= MIN_MONTHS


async def monthly_trends(
    conn: AsyncConnection,
    scope: Scope,
    end: date,
    cohorts: Cohorts,
    *,
    stored: Mapping[int, StoredMonth] | None = None,
) -> Trends:
    """Return the trends of the twelve months complete by `end` (`cohorts` over the same)."""
    return trends_of(await count_months(conn, scope, end, cohorts, stored=stored))


def trends_of(months: list[Month]) -> Trends:
    """Return the trends of twelve months, from the first with activity."""
    shown = list(months)
    while shown and not shown[0].active:
        shown.pop(0)
    return Trends(months=tuple(shown))


async def count_months(
    conn: AsyncConnection,
    scope: Scope,
    end: date,
    cohorts: Cohorts,
    *,
    stored: Mapping[int, StoredMonth] | None = None,
) -> list[Month]:
    """Return each of the twelve months complete by `end`, oldest first.

    Months in `stored` are taken as stored; the others are counted, in one pass over
    the rollups of the months between the first and the last of them.
    """
    stored = stored or {}
    last = month_number(end) - 1
    first = last - COHORT_MONTHS + 1
    missing = [number for number in range(first, last + 1) if number not in stored]
    counted: dict[int, tuple[int, int, int, int]] = {}
    present: dict[int, int] = {}
    if missing:
        counted = await _counted(conn, scope, missing[0], missing[-1])
        present = await _present(conn, scope, missing[0], missing[-1])
    kept = {month_number(cohort.month): cohort for cohort in cohorts.cohorts}
    months = []
    for number in range(first, last + 1):
        cohort = kept.get(number)
        known = stored.get(number)
        if known is not None:
            active, rowers, posts, top = known.active, known.rowers, known.posts, known.top_posts
            around = known.present
        else:
            active, rowers, posts, top = counted.get(number, (0, 0, 0, 0))
            around = max(present[number], active)
        months.append(
            Month(
                month=month_start(number),
                active=active,
                present=around,
                rowers=rowers,
                posts=posts,
                top_posts=top,
                newcomers=cohort.members if cohort else 0,
                retained=cohort.active[0] if cohort and cohort.active else None,
            )
        )
    return months


async def _counted(
    conn: AsyncConnection, scope: Scope, first: int, last: int
) -> dict[int, tuple[int, int, int, int]]:
    """Return per month: active members, rowers, posts and the top tenth's posts."""
    month = month_of(_activity.day, conn.dialect.name).label("month")
    per_member = (
        select(month, func.sum(_activity.messages + _activity.replies).label("posts"))
        .where(
            _activity.community_id == scope.community_id,
            _activity.day >= month_start(first),
            _activity.day < month_start(last + 1),
            scope.keeps(_activity.member_id),
        )
        .group_by(month, _activity.member_id)
        .subquery("per_member")
    )
    posted = case((per_member.c.posts > 0, 1), else_=0)
    ranked = select(
        per_member.c.month,
        per_member.c.posts,
        func.row_number()
        .over(partition_by=per_member.c.month, order_by=per_member.c.posts.desc())
        .label("rank"),
        func.sum(posted).over(partition_by=per_member.c.month).label("rowers"),
    ).subquery("ranked")
    # The top tenth of rowers, at least one: ceil(rowers / 10) in integer arithmetic.
    top = and_(ranked.c.posts > 0, ranked.c.rank <= (ranked.c.rowers + literal(9)) / 10)
    stmt = select(
        ranked.c.month,
        func.count(),
        func.sum(case((ranked.c.posts > 0, 1), else_=0)),
        func.sum(ranked.c.posts),
        func.sum(case((top, ranked.c.posts), else_=0)),
    ).group_by(ranked.c.month)
    return {
        month_number_of(number): (
            int(active),
            int(rowers or 0),
            int(posts or 0),
            int(top_posts or 0),
        )
        for number, active, rowers, posts, top_posts in await conn.execute(stmt)
    }


async def _present(conn: AsyncConnection, scope: Scope, first: int, last: int) -> dict[int, int]:
    """Return, for each month, the members arrived before its end and not gone before it."""
    arrival = func.coalesce(_members.joined_at, _members.first_seen_at)
    columns = []
    for number in range(first, last + 1):
        since, until = (
            datetime.combine(month_start(n), datetime.min.time(), tzinfo=UTC)
            for n in (number, number + 1)
        )
        stayed = and_(arrival < until, or_(_members.left_at.is_(None), _members.left_at >= since))
        columns.append(func.sum(case((stayed, 1), else_=0)))
    stmt = select(*columns).where(
        _members.community_id == scope.community_id,
        _members.is_bot.is_(False),
        scope.keeps(_members.member_id),
    )
    row = (await conn.execute(stmt)).one()
    return {first + index: int(value or 0) for index, value in enumerate(row)}
