"""The games repository on every backend: uniqueness, compare-and-set closing, scores."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.storage import Database, NewScore
from tests.contract.conftest import at

pytestmark = [pytest.mark.games, pytest.mark.storage]

QUESTION = {"question": "?", "choices": ["A", "B"], "answer": "A", "accepted": []}


def score(member: str, points: int, *, source: str = "q1", reason: str = "correct") -> NewScore:
    return NewScore(
        member_id=member,
        display_name=member.title(),
        game="trivia",
        source=source,
        reason=reason,
        points=points,
    )


async def start(database: Database, community_id: int, channel: str = "general") -> int:
    async with database.transaction() as uow:
        return await uow.games.start_round(
            community_id,
            channel,
            category=None,
            started_by="alice",
            questions=[("a-1", QUESTION), ("a-2", QUESTION)],
            at=at(0),
        )


async def test_one_running_round_per_channel(database: Database, community_id: int) -> None:
    round_id = await start(database, community_id)
    async with database.read() as uow:
        assert await uow.games.active_round(community_id, "general") == round_id
    with pytest.raises(IntegrityError):
        await start(database, community_id)
    await start(database, community_id, channel="random")  # another channel is free
    async with database.transaction() as uow:
        assert await uow.games.finish_round(round_id, at=at(5))
        assert not await uow.games.finish_round(round_id, at=at(6))
    async with database.read() as uow:
        assert await uow.games.active_round(community_id, "general") is None
        finished = await uow.games.round(round_id)
    assert finished is not None
    assert finished.state == "finished"
    assert finished.finished_at == at(5)
    await start(database, community_id)  # the channel can run a new round


async def test_questions_open_and_close_exactly_once(database: Database, community_id: int) -> None:
    round_id = await start(database, community_id)
    async with database.transaction() as uow:
        first, second = await uow.games.questions_of(round_id)
        assert (first.position, second.position) == (0, 1)
        assert first.content == QUESTION
        assert await uow.games.open_question(first.id, opened_at=at(0), closes_at=at(1))
        assert not await uow.games.open_question(first.id, opened_at=at(0), closes_at=at(2))
    async with database.read() as uow:
        assert await uow.games.next_question_closing([community_id]) == at(1)
        assert await uow.games.next_question_closing([community_id + 1]) is None
        assert await uow.games.due_questions([community_id], at(0.5)) == []
        assert await uow.games.due_questions([community_id], at(1)) == [first.id]
        assert await uow.games.due_questions([community_id + 1], at(1)) == []
        found = await uow.games.open_question_in(community_id, "general")
    assert found is not None
    assert found.id == first.id
    assert found.closes_at == at(1)
    async with database.transaction() as uow:
        assert await uow.games.close_question(first.id, at=at(1))
        assert not await uow.games.close_question(first.id, at=at(2))
    async with database.read() as uow:
        assert await uow.games.next_question_closing([community_id]) is None
        assert await uow.games.open_question_in(community_id, "general") is None
        closed = await uow.games.question(first.id)
    assert closed is not None
    assert (closed.state, closed.closed_at) == ("closed", at(1))


async def test_one_answer_per_member_per_question(database: Database, community_id: int) -> None:
    round_id = await start(database, community_id)
    async with database.transaction() as uow:
        question = (await uow.games.questions_of(round_id))[0]
        assert await uow.games.add_answer(question.id, "bob", "Bob", "A", correct=True, at=at(2))
        assert await uow.games.add_answer(
            question.id, "alice", "Alice", "B", correct=False, at=at(1)
        )
        assert not await uow.games.add_answer(
            question.id, "bob", "Bob", "B", correct=False, at=at(3)
        )
        answers = await uow.games.answers(question.id)
    assert [(a.member_id, a.answer, a.correct) for a in answers] == [
        ("alice", "B", False),
        ("bob", "A", True),
    ]


async def test_votes_change_or_stand(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        poll = await uow.games.add_poll(
            community_id,
            kind="poll",
            channel_id="general",
            question="Tea?",
            options=["Tea", "Coffee"],
            closes_at=at(30),
            at=at(0),
        )
        game = await uow.games.add_poll(
            community_id,
            kind="twotruths",
            channel_id="general",
            question=None,
            options=["a", "b", "c"],
            closes_at=None,
            author=("alice", "Alice"),
            lie=2,
            at=at(0),
        )
        assert await uow.games.vote(poll, "bob", "Bob", 0, change=True, at=at(1))
        assert await uow.games.vote(poll, "bob", "Bob", 1, change=True, at=at(2))
        assert await uow.games.vote(game, "bob", "Bob", 2, change=False, at=at(1))
        assert not await uow.games.vote(game, "bob", "Bob", 0, change=False, at=at(2))
        assert [(v.member_id, v.option) for v in await uow.games.votes(poll)] == [("bob", 1)]
        assert [v.option for v in await uow.games.votes(game)] == [2]
        stored = await uow.games.poll(game)
    assert stored is not None
    assert (stored.kind, stored.options, stored.lie, stored.author_name) == (
        "twotruths",
        ("a", "b", "c"),
        2,
        "Alice",
    )
    async with database.transaction() as uow:
        assert await uow.games.next_poll_closing([community_id]) == at(30)
        assert await uow.games.due_polls([community_id], at(30)) == [poll]
        assert await uow.games.close_poll(poll, at=at(30))
        assert not await uow.games.close_poll(poll, at=at(31))
        assert await uow.games.due_polls([community_id], at(60)) == []


async def test_scores_are_recorded_once_and_ranked(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        recorded = await uow.games.add_scores(
            community_id,
            "2025-03",
            [score("alice", 10), score("bob", 10), score("bob", 5, reason="first")],
            at=at(1),
        )
        assert len(recorded) == 3
        again = await uow.games.add_scores(community_id, "2025-03", [score("bob", 10)], at=at(2))
        assert again == []
        await uow.games.add_scores(
            community_id, "2025-03", [score("carol", 15, source="q2")], at=at(3)
        )
        await uow.games.add_scores(
            community_id, "2025-04", [score("alice", 7, source="q3")], at=at(4)
        )
    async with database.read() as uow:
        march = await uow.games.leaderboard(community_id, "2025-03")
        april = await uow.games.leaderboard(community_id, "2025-04")
        ever = await uow.games.leaderboard(community_id, None)
        round_only = await uow.games.leaderboard(community_id, None, sources=["q1"])
        totals = await uow.games.season_totals(community_id, "2025-03")
    # Bob and Carol tie on 15: Bob reached it first.
    assert [(line.member_id, line.points) for line in march] == [
        ("bob", 15),
        ("carol", 15),
        ("alice", 10),
    ]
    assert [(line.member_id, line.points) for line in april] == [("alice", 7)]
    assert (ever[0].member_id, ever[0].points) == ("alice", 17)
    assert {line.member_id for line in round_only} == {"alice", "bob"}
    assert totals == {"alice": 10, "bob": 15, "carol": 15}


async def play(database: Database, community_id: int) -> tuple[int, int, int]:
    """Alice starts a round and tells two truths; Alice and Bob answer and vote.

    Returns the round, the poll and the two truths and a lie.
    """
    round_id = await start(database, community_id)
    async with database.transaction() as uow:
        first, second = await uow.games.questions_of(round_id)
        await uow.games.add_answer(first.id, "alice", "Alice", "A", correct=True, at=at(1))
        await uow.games.add_answer(second.id, "alice", "Alice", "B", correct=False, at=at(2))
        await uow.games.add_answer(first.id, "bob", "Bob", "B", correct=False, at=at(1))
        poll = await uow.games.add_poll(
            community_id,
            kind="poll",
            channel_id="general",
            question="Tea?",
            options=["Tea", "Coffee"],
            closes_at=at(30),
            at=at(0),
        )
        game = await uow.games.add_poll(
            community_id,
            kind="twotruths",
            channel_id="general",
            question=None,
            options=["I sing", "I swim", "I fly"],
            closes_at=at(60),
            author=("alice", "Alice"),
            lie=2,
            at=at(0),
        )
        for member in ("alice", "bob"):
            await uow.games.vote(poll, member, member.title(), 1, change=True, at=at(3))
        await uow.games.vote(game, "bob", "Bob", 2, change=False, at=at(4))
    return round_id, poll, game


async def test_a_members_game_records_are_counted_exported_and_erased(
    database: Database, community_id: int
) -> None:
    round_id, poll, game = await play(database, community_id)
    async with database.transaction() as uow:
        elsewhere = await uow.communities.ensure("fake:guild-2", "fake", "guild-2", "Guild Two")
    await play(database, elsewhere)  # the same member in another community is kept apart

    async with database.read() as uow:
        counts = {
            what: await uow.games.count_member_data(what, community_id, "alice")
            for what in ("answers", "votes", "hosted")
        }
        answers = await uow.games.member_data("answers", community_id, "alice")
        votes = await uow.games.member_data("votes", community_id, "alice")
        hosted = await uow.games.member_data("hosted", community_id, "alice")
    assert counts == {"answers": 2, "votes": 1, "hosted": 2}
    assert [(a["answer"], a["correct"], a["round"]) for a in answers] == [
        ("A", True, round_id),
        ("B", False, round_id),
    ]
    assert answers[0]["question"] == "?" and answers[0]["answered_at"] == at(1).isoformat()
    assert votes == [
        {
            "game": "poll",
            "poll": poll,
            "question": "Tea?",
            "display_name": "Alice",
            "choice": "Coffee",
            "voted_at": at(3).isoformat(),
        }
    ]
    assert [(h["game"], h.get("round"), h.get("poll")) for h in hosted] == [
        ("trivia", round_id, None),
        ("twotruths", None, game),
    ]
    assert hosted[1]["statements"] == ["I sing", "I swim", "I fly"] and hosted[1]["lie"] == "I fly"

    async with database.transaction() as uow:
        erased = {
            what: await uow.games.erase_member_data(what, community_id, "alice")
            for what in ("answers", "votes", "hosted")
        }
    assert erased == {"answers": 2, "votes": 1, "hosted": 2}
    async with database.read() as uow:
        for what in ("answers", "votes", "hosted"):
            assert await uow.games.count_member_data(what, community_id, "alice") == 0
            assert await uow.games.count_member_data(what, elsewhere, "alice") > 0
        first, _ = await uow.games.questions_of(round_id)
        assert [a.member_id for a in await uow.games.answers(first.id)] == ["bob"]
        assert [v.member_id for v in await uow.games.votes(poll)] == ["bob"]
        assert await uow.games.poll(game) is None  # her statements, and the guesses on them
        assert await uow.games.votes(game) == []
        kept = await uow.games.round(round_id)
    assert kept is not None and kept.started_by is None
