"""Twelve months at a glance: active members, rowers' share, concentration, retention."""

from __future__ import annotations

from datetime import date

import pytest

from bot.analytics import Month, Scope, build_report
from bot.storage import Database
from tests.contract.test_analytics import AS_OF, LONG_AGO, WEEK, ingest, row
from tests.contract.test_report_cohorts import joined, minutes

pytestmark = pytest.mark.report

OLD = {"joined_at": LONG_AGO}


def act(c: int, member: str, when: tuple[int, int, int], count: int, kind: str = "message"):
    return [
        row(c, f"{member}-{when}-{i}", minutes(*when) + i, member, kind, **OLD)
        for i in range(count)
    ]


def history(c: int) -> list:
    rows = []
    # December: a posts 5, b posts 1, c only reacts; gone leaves; two newcomers.
    rows += [*act(c, "a", (2024, 12, 2), 5), *act(c, "b", (2024, 12, 3), 1)]
    rows += act(c, "c", (2024, 12, 4), 1, "reaction")
    rows += [row(c, "gone-left", minutes(2024, 12, 20), "gone", "leave", **OLD)]
    rows += [joined(c, "n1", (2024, 12, 3)), joined(c, "n2", (2024, 12, 3))]
    # January: r0 posts 9, r1..r11 and n1 one each (13 rowers: the top two hold 9 + 1
    # of 21 posts); c reacts again.
    rows += act(c, "r0", (2025, 1, 6), 9)
    for i in range(1, 12):
        rows += act(c, f"r{i}", (2025, 1, 7), 1)
    rows += [row(c, "n1-post", minutes(2025, 1, 5), "n1", "message")]
    rows += act(c, "c", (2025, 1, 8), 1, "reaction")
    # February: only a posts (twice); the moderator's ten posts are left out.
    rows += [*act(c, "a", (2025, 2, 3), 2), *act(c, "mod", (2025, 2, 3), 10)]
    # r1..r11 were around since long ago (first seen in January, joined long before).
    return rows


async def test_twelve_months_month_by_month(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, exclude=frozenset({"mod"}))

    report = await build_report(database, scope, WEEK, as_of=AS_OF)

    assert report.trends is not None
    # From the first month with activity to the last complete one (February).
    assert [m.month for m in report.trends.months] == [
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    december, january, february = report.trends.months
    # Present: a, b, c, gone, r0..r11, n1, n2 (18) in December; gone left before January.
    assert december == Month(
        month=date(2024, 12, 1),
        active=3,
        present=18,
        rowers=2,
        posts=6,
        top_posts=5,
        newcomers=2,
        retained=1,
    )
    assert january == Month(
        month=date(2025, 1, 1),
        active=14,
        present=17,
        rowers=13,
        posts=21,
        top_posts=10,
        newcomers=0,
        retained=0,
    )
    assert february.active == february.rowers == 1
    assert (february.posts, february.top_posts, february.present) == (2, 2, 17)
    assert february.retained is None  # March is not over
    assert december.retention == pytest.approx(0.5)
    assert january.top_share == pytest.approx(10 / 21)
    assert january.rowers_share == pytest.approx(13 / 17)
    assert report.trends.enough
