"""Calendar months for the twelve-month figures, and what reports keep of settled ones.

A month (UTC) is numbered as months since year 0, so consecutive months differ by 1.
Once a month is over and its last events had time to arrive (`SETTLED` after its
end), what a report counted of it (its trends, its newcomers, and how many of them
were active each settled month after) never changes: the report stores it in
`report_months`, and later reports read those rows instead of grouping a year of
rollups by member, counting afresh only the months not stored yet.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._base import insert_for
from bot.storage.analytics import ReportMonthRow

log = logging.getLogger(__name__)

_months = ReportMonthRow.__table__.c

SETTLED = timedelta(days=2)
"""How long after a month's end its figures are final (late events, replays, retries)."""


def month_number(day: date) -> int:
    """Return a month as a count of months since year 0 (consecutive months differ by 1)."""
    return day.year * 12 + day.month - 1


def month_of(day: ColumnElement[date], dialect: str) -> ColumnElement[object]:
    """Return the month of a rollup day as cheaply as the database can tell it.

    SQLite keeps days as ISO text: its first 7 characters; PostgreSQL: the month's first day.
    """
    if dialect == "postgresql":
        return func.date_trunc("month", day)
    return func.substr(day, 1, 7, type_=String())


def month_number_of(value: object) -> int:
    """Return the `month_number` of what `month_of` read (a date, a datetime or text)."""
    if isinstance(value, date):
        return month_number(value)
    year, month = str(value)[:7].split("-")
    return int(year) * 12 + int(month) - 1


def month_start(number: int) -> date:
    """Return the first day of the month numbered by `month_number`."""
    return date(number // 12, number % 12 + 1, 1)


def settled_until(as_of: datetime) -> int:
    """Return the number of the last month settled at `as_of` (ended `SETTLED` before)."""
    return month_number((as_of - SETTLED).date()) - 1


def scope_key(exclude: frozenset[str]) -> str:
    """Return what tells stored months counted with these members left out (empty: none)."""
    if not exclude:
        return ""
    return hashlib.sha256("\n".join(sorted(exclude)).encode()).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredMonth:
    """What a report stored of one settled month."""

    active: int
    present: int
    rowers: int
    posts: int
    top_posts: int
    newcomers: int
    kept: tuple[int, ...]
    """Newcomers of the month active 1, 2, 3… months later, as far as settled."""
    compared: Mapping[str, tuple[int, int, int, int]] | None
    """Per first action: did, stayed of them, did not, stayed of them (once settled)."""

    def cohort(self) -> dict[str, Any]:
        """Return the JSON kept of the month's newcomers."""
        shown: dict[str, Any] = {"kept": list(self.kept)}
        if self.compared is not None:
            shown["compared"] = {action: list(counts) for action, counts in self.compared.items()}
        return shown


async def stored_months(
    conn: AsyncConnection, community_id: int, scope: str, first: int, last: int
) -> dict[int, StoredMonth]:
    """Return the months `first` to `last` stored for a community and scope, by number."""
    stmt = select(ReportMonthRow.__table__).where(
        _months.community_id == community_id,
        _months.scope == scope,
        _months.month >= month_start(first),
        _months.month <= month_start(last),
    )
    found = {}
    for row in await conn.execute(stmt):
        cohort = row.cohort or {}
        compared = cohort.get("compared")
        found[month_number(row.month)] = StoredMonth(
            active=row.active,
            present=row.present,
            rowers=row.rowers,
            posts=row.posts,
            top_posts=row.top_posts,
            newcomers=row.newcomers,
            kept=tuple(int(count) for count in cohort.get("kept", ())),
            compared=(
                None
                if compared is None
                else {
                    str(action): (int(a), int(b), int(c), int(d))
                    for action, (a, b, c, d) in compared.items()
                }
            ),
        )
    return found


async def store_months(
    conn: AsyncConnection, community_id: int, scope: str, months: Mapping[int, StoredMonth]
) -> None:
    """Store (or extend) what was counted of settled months; two reports may race."""
    if not months:
        return
    insert = insert_for(conn.dialect.name, ReportMonthRow.__table__)
    rows = [
        {
            "community_id": community_id,
            "scope": scope,
            "month": month_start(number),
            "active": month.active,
            "present": month.present,
            "rowers": month.rowers,
            "posts": month.posts,
            "top_posts": month.top_posts,
            "newcomers": month.newcomers,
            "cohort": month.cohort(),
        }
        for number, month in sorted(months.items())
    ]
    stmt = insert.on_conflict_do_update(
        index_elements=[_months.community_id, _months.scope, _months.month],
        set_={"cohort": insert.excluded.cohort},
    )
    await conn.execute(stmt, rows)
    log.debug("stored %d settled months of community %d", len(rows), community_id)
