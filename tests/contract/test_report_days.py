"""Settled days are counted once: later reports read the active members and posters stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.analytics import Scope, build_report
from bot.storage import Database
from bot.storage.analytics import ReportDayRow
from tests.contract.conftest import message_row
from tests.contract.test_analytics import WEEK, ingest

pytestmark = pytest.mark.report

DAY = 24 * 60
AS_OF = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
"""Days before 8 March (two days and nine hours earlier) are settled."""


async def stored(database: Database, community_id: int) -> dict[tuple[str, date], tuple[int, int]]:
    async with database.read() as uow:
        rows = await uow.connection.execute(
            select(ReportDayRow.scope, ReportDayRow.day, ReportDayRow.active, ReportDayRow.posters)
            .where(ReportDayRow.community_id == community_id)
            .order_by(ReportDayRow.scope, ReportDayRow.day)
        )
        return {(row.scope, row.day): (row.active, row.posters) for row in rows}


def week(c: int) -> list:
    """Monday: ann posts, bob reacts; Wednesday: ann; Sunday (not settled): bob posts."""
    return [
        message_row(c, "mon-ann", minutes=0, member="ann"),
        message_row(c, "mon-bob", minutes=5, member="bob", kind="reaction"),
        message_row(c, "wed-ann", minutes=2 * DAY, member="ann"),
        message_row(c, "sun-bob", minutes=6 * DAY, member="bob"),
    ]


async def test_settled_days_are_stored_and_read_back(database: Database, community_id: int) -> None:
    c = community_id
    await ingest(database, week(c))
    scope = Scope(community_id=c)

    first = await build_report(database, scope, WEEK, as_of=AS_OF)
    expected = [(2, 1), (0, 0), (1, 1), (0, 0), (0, 0), (0, 0), (1, 1)]
    assert [(d.active, d.posters) for d in first.daily] == expected
    days = await stored(database, c)
    # Both periods' days before 8 March, empty ones included; not 8 and 9 March.
    assert sorted(day for _scope, day in days) == [
        date(2025, 2, 24) + timedelta(days=i) for i in range(12)
    ]
    assert days[("", date(2025, 3, 3))] == (2, 1)
    assert days[("", date(2025, 3, 4))] == (0, 0)

    # Late activity (an import, a replay) no longer moves a settled day; it still
    # moves a day that is not settled.
    await ingest(
        database,
        [
            message_row(c, "late-mon", minutes=60, member="cat"),
            message_row(c, "late-sun", minutes=6 * DAY + 60, member="cat"),
        ],
    )
    second = await build_report(database, scope, WEEK, as_of=AS_OF + timedelta(hours=1))
    assert [(d.active, d.posters) for d in second.daily] == [
        (2, 1),
        *expected[1:6],
        (2, 2),
    ]
    # The stored days are the report's own figures: the active members of the week
    # (from the members' totals, never stored) still see the late post.
    assert second.figure("active").value == 3


async def test_other_exclusions_and_channels_count_afresh(
    database: Database, community_id: int
) -> None:
    c = community_id
    await ingest(database, week(c))
    await build_report(database, Scope(community_id=c), WEEK, as_of=AS_OF)
    without_ann = await build_report(
        database, Scope(community_id=c, exclude=frozenset({"ann"})), WEEK, as_of=AS_OF
    )
    assert [(d.active, d.posters) for d in without_ann.daily][:3] == [(1, 0), (0, 0), (0, 0)]
    channel = await build_report(
        database, Scope(community_id=c, channel_id="general"), WEEK, as_of=AS_OF
    )
    assert [(d.active, d.posters) for d in channel.daily][:3] == [(2, 1), (0, 0), (1, 1)]

    days = await stored(database, c)
    assert len({scope for scope, _day in days}) == 2  # none for the channel
    assert sum(1 for scope, _day in days if scope) == 12
