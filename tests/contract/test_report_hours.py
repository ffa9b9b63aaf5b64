"""The weekday x hour heatmap and the advice on it, on a history whose answer is known.

Five weeks in Paris time, across the switch to summer time on 30 March 2025:
- Monday 09:10 a question, answered an hour later (Monday 10:10);
- Tuesday 18:00-18:20 five questions, each answered 20 minutes later, and 30 messages
  at 19:00-19:29;
- Wednesday 13:00 three reactions;
- a bot posts on Tuesdays at 18:30 (never counted), the moderator on Mondays at 09:30
  (counted unless excluded).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.analytics import (
    Period,
    Scheduled,
    Scope,
    advise,
    build_report,
    enough,
    place,
)
from bot.analytics._hours import hour_of
from bot.storage import QUESTION, Database, InteractionRow
from bot.storage.analytics import ActivityHourlyRow
from tests.contract.conftest import message_row
from tests.contract.test_analytics import ingest

pytestmark = pytest.mark.report

PARIS = ZoneInfo("Europe/Paris")
FIVE_WEEKS = Period(start=date(2025, 3, 3), end=date(2025, 4, 7))
AS_OF = datetime(2025, 4, 7, 9, 0, tzinfo=UTC)
MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2


def local(week: int, weekday: int, hour: int, minute: int) -> datetime:
    day = date(2025, 3, 3) + timedelta(days=7 * week + weekday)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def event(c: int, key: str, when: datetime, member: str, kind: str, **fields: object):
    row = message_row(c, key, member=member, kind=kind, bot=member == "bot")
    return row._replace(occurred_at=when, message_id=key, **fields)


def history(c: int, weeks: int = 5) -> list[InteractionRow]:
    rows = []
    for w in range(weeks):
        q = f"w{w}-mon-q"
        rows.append(event(c, q, local(w, MONDAY, 9, 10), "asker", "message", target=QUESTION))
        rows.append(event(c, f"{q}-a", local(w, MONDAY, 10, 10), "helper", "reply", reply_to=q))
        rows.append(event(c, f"w{w}-mod", local(w, MONDAY, 9, 30), "mod", "message"))
        for i in range(5):
            q = f"w{w}-tue-q{i}"
            asked = local(w, TUESDAY, 18, 5 * i)
            rows.append(event(c, q, asked, f"m{i}", "message", target=QUESTION))
            answer = asked + timedelta(minutes=20)
            rows.append(event(c, f"{q}-a", answer, "helper", "reply", thread_id=q))
        rows.append(event(c, f"w{w}-bot", local(w, TUESDAY, 18, 30), "bot", "message"))
        for i in range(30):
            rows.append(event(c, f"w{w}-chat{i}", local(w, TUESDAY, 19, i), f"m{i % 7}", "message"))
        for i in range(3):
            rows.append(
                event(c, f"w{w}-r{i}", local(w, WEDNESDAY, 13, i), f"m{i}", "reaction", target="+1")
            )
    return rows


def cells(grid: tuple[tuple[int, ...], ...]) -> dict[tuple[int, int], int]:
    return {
        (day, hour): count
        for day, row in enumerate(grid)
        for hour, count in enumerate(row)
        if count
    }


async def test_the_heatmap_counts_in_local_time(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, timezone="Europe/Paris", exclude=frozenset({"mod"}))

    report = await build_report(database, scope, FIVE_WEEKS, as_of=AS_OF)
    again = await build_report(database, scope, FIVE_WEEKS, as_of=AS_OF)  # counted once

    hours = report.hours
    assert hours is not None and again.hours == hours
    assert cells(hours.posts) == {
        (MONDAY, 9): 5,
        (MONDAY, 10): 5,
        (TUESDAY, 18): 50,
        (TUESDAY, 19): 150,
    }
    assert cells(hours.reactions) == {(WEDNESDAY, 13): 15}
    async with database.read() as uow:
        stored = (await uow.connection.execute(select(ActivityHourlyRow.hour))).scalars().all()
    first = local(0, MONDAY, 9, 10)
    assert min(stored) == hour_of(first) == int(first.timestamp()) // 3600  # whole hours
    assert (hours.weeks, hours.total_posts) == (5, 210)
    with_mod = await build_report(
        database, Scope(community_id=community_id, timezone="Europe/Paris"), FIVE_WEEKS, as_of=AS_OF
    )
    assert with_mod.hours is not None and with_mod.hours.posts[MONDAY][9] == 10


async def test_one_channel_has_its_own_heatmap(database: Database, community_id: int) -> None:
    rows = history(community_id)
    rows = [r._replace(channel_id="help") if r.event_id.startswith("w0-chat") else r for r in rows]
    await ingest(database, rows)
    scope = Scope(community_id=community_id, channel_id="help", timezone="Europe/Paris")

    report = await build_report(database, scope, FIVE_WEEKS, as_of=AS_OF)

    assert report.hours is not None and cells(report.hours.posts) == {(TUESDAY, 19): 30}


async def test_a_ritual_at_a_quiet_hour_gets_a_suggestion(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, timezone="Europe/Paris", exclude=frozenset({"mod"}))
    report = await build_report(database, scope, FIVE_WEEKS, as_of=AS_OF)
    assert report.hours is not None
    ritual = Scheduled(kind="ritual", name="question-of-the-week", cron="0 9 * * 1")
    game = Scheduled(kind="game", name="tuesday-trivia", cron="0 18 * * 2")
    placed = [place(item, "Europe/Paris", AS_OF) for item in (ritual, game)]

    [suggestion] = advise(report.hours, placed)

    assert [p.slots for p in placed] == [((MONDAY, 9),), ((TUESDAY, 18),)]
    assert suggestion.scheduled == ritual
    assert (suggestion.at, suggestion.best) == ((MONDAY, 9), (TUESDAY, 18))
    assert (suggestion.posts_at, suggestion.posts_best) == (1.0, 20.0)
    assert suggestion.faster == pytest.approx(3.0)  # an hour against 20 minutes
    assert (suggestion.weeks, suggestion.posts, suggestion.questions) == (5, 210, 30)


async def test_no_advice_below_the_minimum_of_data(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id, weeks=3))
    scope = Scope(community_id=community_id, timezone="Europe/Paris")
    three_weeks = Period(start=date(2025, 3, 3), end=date(2025, 3, 24))
    report = await build_report(database, scope, three_weeks, as_of=AS_OF)
    assert report.hours is not None
    ritual = Scheduled(kind="ritual", name="question-of-the-week", cron="0 9 * * 1")

    assert not enough(report.hours)
    assert advise(report.hours, [place(ritual, "Europe/Paris", AS_OF)]) == []
