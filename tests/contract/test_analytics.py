"""Metric definitions on a small hand-computed history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.analytics import Period, Report, Scope, build_report, questions
from bot.storage import QUESTION, Database, InteractionRow, InteractionWriter
from tests.contract.conftest import at, message_row

pytestmark = [pytest.mark.report, pytest.mark.storage]

# STORAGE_START is Monday 3 March 2025, 09:00 UTC; the period is that week.
WEEK = Period(start=date(2025, 3, 3), end=date(2025, 3, 10))
AS_OF = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)
DAY = 24 * 60


def row(c: int, event_id: str, minutes: float, member: str, kind: str, **fields: object):
    base = message_row(c, event_id, minutes=minutes, member=member, kind=kind)
    return base._replace(**fields)


def history(c: int) -> list[InteractionRow]:
    old = {"joined_at": LONG_AGO}
    rows = [
        # alice (an old member): three messages on Monday, questions on Tuesday and Wednesday.
        *(row(c, f"a{i}", i, "alice", "message", **old) for i in range(3)),
        row(c, "q1", DAY, "alice", "message", target=QUESTION, message_id="q1", **old),
        row(c, "q2", 2 * DAY, "alice", "message", target=QUESTION, message_id="q2", **old)._replace(
            channel_id="help"
        ),
        # alice answers herself in q2's thread, a bot answers too: neither is an answer.
        row(c, "self", 2 * DAY + 60, "alice", "reply", thread_id="q2", channel_id="help", **old),
        row(c, "bot", 2 * DAY + 61, "helper-bot", "reply", reply_to="q2", meta={"bot": True}),
        # bob answers q1 two hours later.
        row(c, "b1", DAY + 120, "bob", "reply", reply_to="q1", **old),
        # carol only reacts and clicks.
        row(c, "c1", 2 * DAY, "carol", "reaction", target="👍", **old),
        row(c, "c2", 2 * DAY + 5, "carol", "choice", target="games:trivia:a", **old),
        # the moderator talks a lot.
        *(row(c, f"mod{i}", i, "mod", "message", **old) for i in range(5)),
        # pat posted last week only; gone posted and left before it.
        row(c, "p1", -6 * DAY, "pat", "message", **old),
        row(c, "g1", -11 * DAY, "gone", "message", **old),
        row(c, "g2", -9 * DAY, "gone", "leave"),
        # leaver, first seen on Thursday, reacts and leaves on Friday.
        row(c, "l1", 3 * DAY, "leaver", "reaction", target="👍"),
        row(c, "l2", 4 * DAY, "leaver", "leave"),
        # eve joins on Wednesday and does nothing.
        row(c, "e1", 2 * DAY, "eve", "join", joined_at=at(2 * DAY)),
        # Retention cohort (arrived 60 to 30 days before 10 March): old1 comes back, old2 not.
        row(c, "o1", -42 * DAY, "old1", "join", joined_at=at(-42 * DAY)),
        row(c, "o1b", DAY + 3, "old1", "reaction", target="👍"),
        row(c, "o2", -37 * DAY, "old2", "join", joined_at=at(-37 * DAY)),
        row(c, "o2b", -36 * DAY, "old2", "message"),
    ]
    return rows


async def ingest(database: Database, rows: list[InteractionRow]) -> None:
    writer = InteractionWriter(database)
    await writer.start()
    for item in rows:
        await writer.submit(item)
    await writer.stop()


async def report(database: Database, scope: Scope, period: Period = WEEK) -> Report:
    return await build_report(database, scope, period, as_of=AS_OF)


def values(result: Report) -> dict[str, float | None]:
    return {f.key.removeprefix("report.figures."): f.value for f in result.figures}


async def test_every_figure_of_a_hand_computed_week(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    result = await report(database, Scope(community_id=community_id, exclude=frozenset({"mod"})))
    got = values(result)
    # Present: alice, bob, carol, pat, leaver, eve, old1, old2 (not gone, not the bot, not mod).
    assert result.participation.present == 8
    assert (result.participation.rowers, result.participation.reactors) == (2, 3)
    assert result.participation.passengers == 3  # pat, eve, old2
    assert got["rowers"] == pytest.approx(2 / 8)
    assert got["reactors"] == pytest.approx(3 / 8)
    assert got["passengers"] == pytest.approx(3 / 8)
    assert got["active"] == 5
    assert [(d.active, d.posters) for d in result.daily] == [
        (1, 1), (3, 2), (2, 1), (1, 0), (0, 0), (0, 0), (0, 0)
    ]  # fmt: skip
    assert got["dau"] == pytest.approx(7 / 7)
    assert got["wau"] == 5 and got["mau"] == 5
    # Posts: alice 6 (3 messages, 2 questions, her own reply), bob 1.
    assert got["top_share"] == pytest.approx(6 / 7)
    assert got["gini"] == pytest.approx(5 / 14)
    assert got["newcomers"] == 2  # leaver, eve
    assert got["retention"] == pytest.approx(1 / 2)  # old1 came back, old2 did not
    assert got["questions"] == 2
    assert got["first_reply"] == pytest.approx(2.0)
    assert got["unanswered"] == 1
    assert [q.message_id for q in result.unanswered] == ["q2"]
    clicks = [f for f in result.figures if f.key == "report.figures.clicks"]
    assert [(f.variables["feature"], f.value) for f in clicks] == [("games", 1)]


async def test_previous_period_and_change(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    result = await report(database, Scope(community_id=community_id, exclude=frozenset({"mod"})))
    active = result.figure("active")
    assert (active.value, active.previous, active.change) == (5, 1, 4)  # pat was last week
    present = result.figure("present")
    assert present.previous == 6  # alice, bob, carol, pat, old1, old2: gone had left


async def test_moderators_count_unless_excluded(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    result = await report(database, Scope(community_id=community_id))
    assert result.participation.present == 9
    assert result.participation.rowers == 3
    assert values(result)["top_share"] == pytest.approx(6 / 12)


async def test_one_channel(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, channel_id="help", exclude=frozenset({"mod"}))
    result = await report(database, scope)
    got = values(result)
    assert got["active"] == 1  # alice, in q2 and its thread; the bot does not count
    assert [d.posters for d in result.daily] == [0, 0, 1, 0, 0, 0, 0]
    assert got["questions"] == 1 and got["unanswered"] == 1
    assert not [f for f in result.figures if f.key == "report.figures.clicks"]


async def test_an_empty_period(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    empty = Period(start=date(2023, 6, 1), end=date(2023, 6, 8))  # before anyone arrived
    result = await report(database, Scope(community_id=community_id), empty)
    got = values(result)
    assert got["active"] == 0 and got["dau"] == 0 and got["present"] == 0
    assert got["rowers"] is None and got["gini"] is None and got["top_share"] is None
    assert got["first_reply"] is None and got["retention"] is None
    assert [d.active for d in result.daily] == [0] * 7


async def test_unanswered_waits_for_the_delay(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, unanswered_after=timedelta(hours=24))
    async with database.read() as uow:
        found = await questions(uow, scope, WEEK.since, WEEK.until)
    q2 = next(q for q in found if q.message_id == "q2")
    assert q2.answered_at is None
    assert not q2.unanswered_after(timedelta(hours=24), q2.asked_at + timedelta(hours=23))
    assert q2.unanswered_after(timedelta(hours=24), q2.asked_at + timedelta(hours=24))
    q1 = next(q for q in found if q.message_id == "q1")
    assert q1.waited() == timedelta(hours=2)
    assert q1.unanswered_after(timedelta(hours=1, minutes=59), AS_OF)
    assert not q1.unanswered_after(timedelta(hours=2), AS_OF)
