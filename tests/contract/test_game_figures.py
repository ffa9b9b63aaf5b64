"""Game participation figures on a small hand-computed history, on every backend."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from bot.analytics import MetricRegistry, Period, Scope, build_report
from bot.features.games._metrics import game_figures
from bot.storage import Database, UnitOfWork
from bot.storage.models import ActivityDailyRow
from tests.contract.conftest import T0, at
from tests.contract.test_analytics_providers import AS_OF, WEEK

pytestmark = [pytest.mark.games, pytest.mark.report, pytest.mark.storage]

DAY = 24 * 60
HUMANS = ("alice", "bob", "carol", "dave", "erin", "gone")


async def active_on(uow: UnitOfWork, community: int, member: str, day: date) -> None:
    await uow.connection.execute(
        insert(ActivityDailyRow).values(
            community_id=community, member_id=member, day=day, messages=1
        )
    )


async def play(uow: UnitOfWork, community: int) -> None:
    """The week of 3 March: one trivia round, one poll, one two truths and a lie."""
    games = uow.games
    # Last week: a round started on Sunday 23:58, answered (by carol) after midnight.
    late = await games.start_round(
        community,
        "general",
        category=None,
        started_by=None,
        questions=[("q0", {})],
        at=at(-9 * 60 - 2),
    )
    [q0] = await games.questions_of(late)
    await games.finish_round(late, at=at(-9 * 60 + 2))
    await games.add_answer(q0.id, "carol", "Carol", "a", correct=True, at=at(-9 * 60 + 1))
    # This week: a two-question round; the robot's answer does not count.
    trivia = await games.start_round(
        community,
        "general",
        category="fixtures",
        started_by="alice",
        questions=[("q1", {}), ("q2", {})],
        at=at(60),
    )
    q1, q2 = await games.questions_of(trivia)
    for question, member in ((q1, "alice"), (q1, "bob"), (q1, "robot"), (q2, "alice")):
        await games.add_answer(question.id, member, member.title(), "a", correct=True, at=at(61))
    # A poll: alice and gone vote; erin votes after the week is over (it still counts).
    poll = await games.add_poll(
        community,
        kind="poll",
        channel_id="general",
        question="Tea?",
        options=["tea", "coffee"],
        closes_at=None,
        author=("mod", "Mo"),
        at=at(120),
    )
    await games.vote(poll, "alice", "Alice", 0, change=True, at=at(121))
    await games.vote(poll, "gone", "Gone", 1, change=True, at=at(122))
    await games.vote(poll, "erin", "Erin", 1, change=True, at=at(7 * DAY))
    # Two truths and a lie told by carol; bob and the robot guess.
    twotruths = await games.add_poll(
        community,
        kind="twotruths",
        channel_id="general",
        question=None,
        options=["a", "b", "c"],
        closes_at=None,
        author=("carol", "Carol"),
        lie=2,
        at=at(200),
    )
    await games.vote(twotruths, "bob", "Bob", 2, change=False, at=at(201))
    await games.vote(twotruths, "robot", "Robot", 2, change=False, at=at(202))
    # Next week: a poll dave votes in.
    after = await games.add_poll(
        community,
        kind="poll",
        channel_id="general",
        question="Cake?",
        options=["yes", "no"],
        closes_at=None,
        at=at(7 * DAY + 60),
    )
    await games.vote(after, "dave", "Dave", 0, change=True, at=at(7 * DAY + 61))


async def history(database: Database, community: int) -> None:
    async with database.transaction() as uow:
        for member in (*HUMANS, "robot"):
            await uow.members.upsert_seen(
                community, member, member.title(), is_bot=member == "robot", at=at(-30 * DAY)
            )
        await uow.members.mark_left(community, "gone", at(3 * DAY))
        # Active this week: everyone but erin (the rollups never hold bots).
        for member in ("alice", "bob", "carol", "dave", "gone"):
            await active_on(uow, community, member, T0.date())
        await active_on(uow, community, "carol", T0.date() - timedelta(days=1))
        await play(uow, community)


async def test_games_held_answers_and_players(database: Database, community_id: int) -> None:
    await history(database, community_id)
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f
            for f in await game_figures(uow, Scope(community_id=community_id), WEEK)
        }
    assert figures["games_held"].value == 3
    assert figures["games_held"].variables == {"trivia": 1, "poll": 1, "twotruths": 1}
    # alice twice and bob once at trivia; alice, gone and erin in the poll; bob's guess.
    assert figures["game_answers"].value == 7
    assert figures["game_answers"].variables == {"trivia": 3, "poll": 3, "twotruths": 1}
    # alice, bob, carol (who told), gone (who left since), erin; never the robot.
    assert figures["game_players"].value == 5
    # Of the 5 active members (alice, bob, carol, dave, gone), 4 played; erin was not active.
    share = figures["game_players_share"]
    assert (share.value, share.variables) == (4 / 5, {"played": 4, "active": 5})


async def test_a_game_belongs_to_the_period_it_started(
    database: Database, community_id: int
) -> None:
    await history(database, community_id)
    registry = MetricRegistry()
    registry.register("games", game_figures)
    report = await build_report(
        database, Scope(community_id=community_id), WEEK, as_of=AS_OF, providers=registry
    )
    players = report.figure("game_players")
    assert (players.value, players.previous) == (5, 1)  # carol's answer after midnight
    held = report.figure("games_held")
    assert (held.value, held.previous) == (3, 1)
    # The week before, carol was active (on Sunday) and played.
    share = report.figure("game_players_share")
    assert share.previous == 1
    # The report's own count of active members (its `active` figure) is the share's basis.
    assert (share.value, share.variables) == (4 / 5, {"played": 4, "active": 5})
    assert report.figure("active").value == 5


async def test_no_game_no_figures(database: Database, community_id: int) -> None:
    await history(database, community_id)
    quiet = Period(start=date(2025, 4, 7), end=date(2025, 4, 14))
    async with database.read() as uow:
        assert await game_figures(uow, Scope(community_id=community_id), quiet) == []
        assert (
            await game_figures(uow, Scope(community_id=community_id + 1), WEEK) == []
        )  # another community


async def test_excluded_members_count_in_no_game_figure(
    database: Database, community_id: int
) -> None:
    await history(database, community_id)
    scope = Scope(community_id=community_id, exclude=frozenset({"alice", "carol"}))
    async with database.read() as uow:
        figures = {f.key.rsplit(".", 1)[1]: f for f in await game_figures(uow, scope, WEEK)}
    # Games are held whoever started them.
    assert figures["games_held"].variables == {"trivia": 1, "poll": 1, "twotruths": 1}
    # bob's trivia answer; gone's and erin's votes; bob's guess.
    assert figures["game_answers"].value == 4
    assert figures["game_answers"].variables == {"trivia": 1, "poll": 2, "twotruths": 1}
    # bob, gone and erin played (carol's telling is left out with her).
    assert figures["game_players"].value == 3
    # Of the 3 active members counted (bob, dave, gone), 2 played.
    share = figures["game_players_share"]
    assert (share.value, share.variables) == (2 / 3, {"played": 2, "active": 3})
