"""Who stays: monthly newcomer cohorts, their retention, and first actions compared."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.analytics import Cohort, Scope, build_report
from bot.storage import Database
from tests.contract.conftest import T0
from tests.contract.test_analytics import AS_OF, LONG_AGO, WEEK, ingest, row

pytestmark = pytest.mark.report


def minutes(year: int, month: int, day: int) -> float:
    return (datetime(year, month, day, 12, tzinfo=UTC) - T0).total_seconds() / 60


def joined(c: int, member: str, when: tuple[int, int, int], **fields: object):
    moment = datetime(*when, 12, tzinfo=UTC)
    return row(c, f"join-{member}", minutes(*when), member, "join", joined_at=moment, **fields)


def posted(c: int, member: str, when: tuple[int, int, int]):
    return row(c, f"post-{member}-{when}", minutes(*when), member, "message")


def history(c: int) -> list:
    rows = []
    # December 2024: d1 is active in January and February, d2 in February only;
    # twenty more arrive: ten play a game within days (8 of them are active in
    # February), ten do not (3 of them are active in February).
    rows += [joined(c, "d1", (2024, 12, 5)), joined(c, "d2", (2024, 12, 5))]
    rows += [posted(c, "d1", (2025, 1, 8)), posted(c, "d1", (2025, 2, 8))]
    rows += [posted(c, "d2", (2025, 2, 9))]
    for i in range(10):
        rows.append(joined(c, f"p{i}", (2024, 12, 10)))
        rows.append(
            row(c, f"click-p{i}", minutes(2024, 12, 12), f"p{i}", "choice", target="games:a")
        )
        if i < 8:
            rows.append(posted(c, f"p{i}", (2025, 2, 3)))
        rows.append(joined(c, f"q{i}", (2024, 12, 10)))
        if i < 3:
            rows.append(posted(c, f"q{i}", (2025, 2, 4)))
    # q9 plays too late to count: twenty days after arriving.
    rows.append(row(c, "click-q9", minutes(2024, 12, 30), "q9", "choice", target="games:a"))
    # January 2025: j1 is active in February.
    rows += [joined(c, "j1", (2025, 1, 10)), posted(c, "j1", (2025, 2, 3))]
    # March: not followed (February is the last complete month on 10 March).
    rows.append(joined(c, "m1", (2025, 3, 3)))
    # Not newcomers: an old member, a bot, the moderator (left out of the scope).
    rows.append(posted(c, "old", (2025, 2, 1))._replace(joined_at=LONG_AGO))
    rows.append(joined(c, "bot", (2025, 1, 10), meta={"bot": True}))
    rows.append(joined(c, "mod", (2025, 1, 10)))
    rows.append(posted(c, "mod", (2025, 2, 1)))
    return rows


async def test_monthly_cohorts_and_first_actions(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    async with database.transaction() as uow:
        # Welcomed within days: p0..p4 and q0; d1 only after 14 days (not counted).
        for member, day in [*((f"p{i}", 11) for i in range(5)), ("q0", 11), ("d1", 25)]:
            sent = datetime(2024, 12, day, 12, tzinfo=UTC)
            await uow.icebreaker.record(
                community_id, member, kind="welcome", nonce=f"w-{member}", at=sent
            )
        # Invited by an icebreaker: q1 and q2 (both active in February), and mod.
        for member in ("q1", "q2", "mod"):
            sent = datetime(2024, 12, 15, 12, tzinfo=UTC)
            await uow.icebreaker.record(
                community_id, member, kind="invitation", nonce=f"i-{member}", at=sent
            )
    scope = Scope(community_id=community_id, exclude=frozenset({"mod"}))

    report = await build_report(database, scope, WEEK, as_of=AS_OF)

    assert report.cohorts is not None
    by_month = {cohort.month: cohort for cohort in report.cohorts.cohorts}
    assert len(by_month) == 12
    assert (min(by_month), max(by_month)) == (date(2024, 3, 1), date(2025, 2, 1))
    assert by_month[date(2024, 12, 1)] == Cohort(
        month=date(2024, 12, 1), members=22, active=(1, 13)
    )
    assert by_month[date(2025, 1, 1)] == Cohort(month=date(2025, 1, 1), members=1, active=(1,))
    assert by_month[date(2024, 11, 1)].members == 0
    assert report.cohorts.followed == 23
    assert report.cohorts.enough
    assert report.cohorts.compared == 22
    # Compared: December's newcomers only (January's second month after is not over).
    compared = {c.action: c for c in report.cohorts.comparisons}
    played = compared["played"]
    assert (played.did, played.did_stayed, played.did_not, played.did_not_stayed) == (
        10,
        8,
        12,
        5,
    )
    assert played.shown
    welcomed, invited = compared["welcomed"], compared["invited"]
    # p0..p4 all stayed, q0 stayed; of the 16 others, 3 p's, q1, q2 and d1 and d2.
    assert (welcomed.did, welcomed.did_stayed, welcomed.did_not, welcomed.did_not_stayed) == (
        6,
        6,
        16,
        7,
    )
    assert not welcomed.shown  # 6 welcomed: fewer than 10 on one side
    assert (invited.did, invited.did_stayed, invited.did_not, invited.did_not_stayed) == (
        2,
        2,
        20,
        11,
    )
