"""Settled months are counted once: later reports read what the first one stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.analytics import Period, Scope, build_report
from bot.storage import Database
from bot.storage.analytics import ReportMonthRow
from tests.contract import test_report_cohorts, test_report_trends
from tests.contract.test_analytics import AS_OF, WEEK, ingest
from tests.contract.test_report_trends import act

pytestmark = pytest.mark.report


def history(c: int) -> list:
    return [*test_report_cohorts.history(c), *test_report_trends.history(c)]


async def stored(database: Database, community_id: int) -> list[date]:
    async with database.read() as uow:
        rows = await uow.connection.execute(
            select(ReportMonthRow.month)
            .where(ReportMonthRow.community_id == community_id)
            .order_by(ReportMonthRow.month)
        )
        return [row.month for row in rows]


async def test_a_second_report_reads_the_stored_months_and_agrees(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, exclude=frozenset({"mod"}))

    first = await build_report(database, scope, WEEK, as_of=AS_OF)
    # Every month complete by 10 March and ended two days before is kept: March 2024
    # to February 2025.
    assert await stored(database, community_id) == [
        date(2024 + (2 + i) // 12, (2 + i) % 12 + 1, 1) for i in range(12)
    ]
    # Later activity in a settled month (an import, a late replay) no longer moves it.
    await ingest(database, act(community_id, "late", (2025, 1, 20), 7))
    second = await build_report(database, scope, WEEK, as_of=AS_OF + timedelta(hours=1))

    assert second.cohorts == first.cohorts
    assert second.trends == first.trends
    assert first.cohorts is not None and first.cohorts.by_cohort
    january = next(m for m in second.trends.months if m.month == date(2025, 1, 1))
    assert january.posts == 22  # 21 in the trends' history, d1's in the cohorts'


async def test_a_month_ended_less_than_two_days_ago_is_counted_each_time(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, exclude=frozenset({"mod"}))
    period = Period(start=date(2025, 2, 22), end=date(2025, 3, 1))
    as_of = datetime(2025, 3, 1, 9, tzinfo=UTC)

    first = await build_report(database, scope, period, as_of=as_of)
    assert first.trends is not None
    assert date(2025, 2, 1) not in await stored(database, community_id)
    assert date(2025, 1, 1) in await stored(database, community_id)
    # February's late events still count, and what was kept of January's newcomers
    # grows once February settles.
    await ingest(database, act(community_id, "late", (2025, 2, 27), 3))
    again = await build_report(database, scope, period, as_of=as_of + timedelta(hours=1))
    assert again.trends is not None
    assert again.trends.months[-1].posts == first.trends.months[-1].posts + 3
    settled = await build_report(database, scope, period, as_of=datetime(2025, 3, 4, tzinfo=UTC))
    assert date(2025, 2, 1) in await stored(database, community_id)
    assert settled.trends == again.trends
    assert settled.cohorts == again.cohorts


async def test_other_exclusions_count_afresh(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    with_mod = await build_report(database, Scope(community_id=community_id), WEEK, as_of=AS_OF)
    without = await build_report(
        database, Scope(community_id=community_id, exclude=frozenset({"mod"})), WEEK, as_of=AS_OF
    )

    assert with_mod.trends is not None and without.trends is not None
    february = (with_mod.trends.months[-1], without.trends.months[-1])
    assert february[0].posts == february[1].posts + 11  # the moderator's posts
    async with database.read() as uow:
        scopes = await uow.connection.scalar(
            select(func.count(func.distinct(ReportMonthRow.scope))).where(
                ReportMonthRow.community_id == community_id
            )
        )
    assert scopes == 2
