"""Which games work: trivia by category and polls by kind, answers, players, flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.analytics import PostTally, Scope, build_report
from bot.storage import Database, UnitOfWork
from tests.contract.conftest import message_row
from tests.contract.test_analytics import AS_OF, WEEK, ingest
from tests.contract.test_report_cohorts import minutes

pytestmark = [pytest.mark.report, pytest.mark.games]


def noon(month: int, day: int, hours: float = 0) -> datetime:
    return datetime(2025, month, day, 12, tzinfo=UTC) + timedelta(hours=hours)


async def trivia(
    uow: UnitOfWork, c: int, when: datetime, category: str | None, asked: list[str]
) -> list[int]:
    """Start a round of questions of the `asked` categories, each opened 10 minutes apart."""
    round_id = await uow.games.start_round(
        c,
        f"trivia-{when:%m%d}",
        category=category,
        started_by=None,
        questions=[(f"{name}-{i}", {"category": name}) for i, name in enumerate(asked)],
        at=when,
    )
    ids = []
    for i, question in enumerate(await uow.games.questions_of(round_id)):
        opened = when + timedelta(minutes=10 * i)
        await uow.games.open_question(question.id, opened_at=opened, closes_at=opened)
        ids.append(question.id)
    await uow.games.finish_round(round_id, at=when + timedelta(hours=1))
    return ids


async def poll(
    uow: UnitOfWork,
    c: int,
    when: datetime,
    *,
    kind: str = "poll",
    item: str | None = None,
    content_kind: str | None = None,
) -> int:
    return await uow.games.add_poll(
        c,
        kind=kind,
        channel_id="general",
        question=None if kind == "twotruths" else "?",
        options=["a", "b", "c"],
        closes_at=None,
        item_id=item,
        content_kind=content_kind,
        author=("carol", "Carol") if kind == "twotruths" else None,
        lie=2 if kind == "twotruths" else None,
        at=when,
    )


async def play(database: Database, c: int) -> None:
    async with database.transaction() as uow:
        await uow.members.upsert_seen(c, "robot", "Robot", is_bot=True, at=noon(1, 1))
        answer = uow.games.add_answer
        # A mixed round: a science question, then a culture one 10 minutes later.
        science, culture = await trivia(uow, c, noon(2, 3), None, ["science", "culture"])
        await answer(science, "robot", "Robot", "a", correct=True, at=noon(2, 3, 0.01))
        await answer(science, "bob", "Bob", "a", correct=True, at=noon(2, 3, 0.5))
        await answer(science, "carol", "Carol", "a", correct=False, at=noon(2, 3, 1))
        await answer(culture, "mod", "Mod", "a", correct=True, at=noon(2, 3, 0.2))  # left out
        await answer(culture, "bob", "Bob", "a", correct=True, at=noon(2, 3, 1 + 1 / 6))
        # A culture round: dan answers both questions two hours after each opened.
        first, second = await trivia(uow, c, noon(2, 10), "culture", ["culture", "culture"])
        await answer(first, "dan", "Dan", "a", correct=True, at=noon(2, 10, 2))
        await answer(second, "dan", "Dan", "a", correct=True, at=noon(2, 10, 2 + 1 / 6))
        # Three language rounds nobody answers.
        for day in (6, 13, 20):
            await trivia(uow, c, noon(1, day), "language", ["language"])
        # A round in March (the month is not over) and one before the twelve months.
        await trivia(uow, c, noon(3, 3), "culture", ["culture"])
        await trivia(uow, c, datetime(2024, 2, 20, 12, tzinfo=UTC), "culture", ["culture"])

        vote = uow.games.vote
        tot = {"content_kind": "this_or_that"}
        p1 = await poll(uow, c, noon(2, 4), item="tot-001", **tot)
        await vote(p1, "bob", "Bob", 0, change=True, at=noon(2, 4, 0.25))
        await vote(p1, "carol", "Carol", 1, change=True, at=noon(2, 4, 1))
        await vote(p1, "robot", "Robot", 1, change=True, at=noon(2, 4, 0.1))
        p2 = await poll(uow, c, noon(2, 11), item="tot-002", **tot)
        await vote(p2, "bob", "Bob", 0, change=True, at=noon(2, 11, 0.5))
        await vote(p2, "erin", "Erin", 1, change=True, at=noon(2, 11, 3))
        await vote(p2, "bob", "Bob", 1, change=True, at=noon(2, 11, 4))  # changed: counts then
        for day in (5, 6, 7):  # members' own polls nobody votes in
            await poll(uow, c, noon(2, day))
        guess = await poll(uow, c, noon(2, 12), kind="twotruths")
        await vote(guess, "bob", "Bob", 2, change=False, at=noon(2, 12, 2))
        await poll(uow, c, noon(2, 13), item="old-001")  # kind not recorded
        late = await poll(uow, c, noon(3, 4), item="tot-003", **tot)
        await vote(late, "bob", "Bob", 0, change=True, at=noon(3, 4, 1))
    await ingest(
        database,
        [
            # bob and dan were active in the 30 days before; carol and erin never were.
            message_row(c, "bob-jan", minutes=minutes(2025, 1, 18), member="bob"),
            message_row(c, "dan-feb", minutes=minutes(2025, 2, 8), member="dan"),
        ],
    )


def tally(name: str, *counts: int, first: float | None) -> PostTally:
    posts, replies, replied, repliers, quiet = counts
    return PostTally(
        name=name,
        posts=posts,
        replies=replies,
        replied=replied,
        repliers=repliers,
        quiet_repliers=quiet,
        first_reply_hours=first,
    )


async def test_trivia_by_category_and_polls_by_kind(database: Database, community_id: int) -> None:
    await play(database, community_id)
    scope = Scope(community_id=community_id, exclude=frozenset({"mod"}))

    report = await build_report(database, scope, WEEK, as_of=AS_OF)

    posts = report.posts
    assert posts is not None
    # Five rounds and seven polls from March 2024 to February 2025; no ritual post.
    assert (posts.games, posts.games_enough, posts.posts) == (12, True, 0)
    assert posts.trivia == (
        # Two rounds asked culture: bob's answer (an hour after it opened), dan's two.
        tally("culture", 2, 3, 2, 2, 0, first=1.5),
        tally("language", 3, 0, 0, 0, 0, first=None),
        # bob after half an hour, carol (quiet before); never the robot.
        tally("science", 1, 2, 1, 2, 1, first=0.5),
    )
    assert posts.polls == (
        tally("library", 1, 0, 0, 0, 0, first=None),
        tally("own", 3, 0, 0, 0, 0, first=None),
        # The guesser is the voter; the teller is not counted.
        tally("this_or_that", 2, 4, 2, 3, 2, first=(0.25 + 3) / 2),
        tally("twotruths", 1, 1, 1, 1, 0, first=2.0),
    )
    assert [t.name for t in posts.silent_trivia] == ["language"]
    assert [t.name for t in posts.silent_polls] == ["own"]


async def test_no_game_no_tally(database: Database, community_id: int) -> None:
    report = await build_report(database, Scope(community_id=community_id), WEEK, as_of=AS_OF)

    assert report.posts is not None
    assert (report.posts.games, report.posts.trivia, report.posts.polls) == (0, (), ())
