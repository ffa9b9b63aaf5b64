"""Games end to end: trivia rounds, polls, two truths and a lie, seasons, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.domain import Member, Post
from bot.storage import QuestionRecord
from bot.storage.games import GamePollRow
from tests.e2e.conftest import ALICE, KEY, MOD, Terreau

pytestmark = pytest.mark.games

CONTENT = Path(__file__).parents[1] / "games_content"
BOB = Member(id="bob", display_name="Bob")
CAROL = Member(id="carol", display_name="Carol")
ROBOT = Member(id="robot", display_name="Robot", is_bot=True)

# Monday 23 November 2026, 12:00 in Paris: after the posts ritual's grace, so only games post.
NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def games(**settings: object) -> str:
    lines = [
        "[communities.games]",
        'channel = "general"',
        f'trivia_dirs = ["{CONTENT / "trivia"}"]',
        f'poll_dirs = ["{CONTENT / "polls"}"]',
    ]
    lines += [f"{name} = {value}" for name, value in settings.items()]
    return "\n" + "\n".join(lines) + "\n"


async def begin(terreau: Terreau, moment: datetime = NOON, extra: str = "") -> None:
    await terreau.clock.set(moment)
    await terreau.start(extra=games() + extra)


async def open_question(terreau: Terreau) -> QuestionRecord | None:
    app = terreau.app
    assert app is not None
    async with app.database.read() as uow:
        return await uow.games.open_question_in(app.community_id(KEY), "general")


async def points(terreau: Terreau, season: str | None = "2026-11") -> dict[str, int]:
    app = terreau.app
    assert app is not None
    async with app.database.read() as uow:
        lines = await uow.games.leaderboard(app.community_id(KEY), season, limit=100)
    return {line.member_id: line.points for line in lines}


def public(terreau: Terreau) -> list[Post]:
    return terreau.platform.posts()


def private_to(terreau: Terreau, member: Member) -> list[str]:
    """The keys of the prompts `member` was answered privately with, oldest first."""
    return [
        terreau.said(item.post)
        for item in terreau.platform.sent
        if item.kind == "respond" and item.member_id == member.id and item.private
    ]


def shown(terreau: Terreau, post: Post, *names: str) -> tuple[str, dict[str, object]]:
    """The prompt `post` is, and the variables `names` it showed."""
    return terreau.prompts.said(post, *names)


def standings(*rows: tuple[int, str, int]) -> list[dict[str, object]]:
    return [{"rank": rank, "name": name, "points": points} for rank, name, points in rows]


def right_and_wrong(question: QuestionRecord) -> tuple[int, int]:
    choices = question.content["choices"]
    right = choices.index(question.content["answer"])
    return right, (right + 1) % len(choices)


async def test_a_full_round_with_buttons_scores_reveals_and_sums_up(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "trivia", "fixtures", "2")
    assert private_to(terreau, ALICE) == ["games.trivia.started"]
    intro, first = public(terreau)
    assert shown(terreau, intro, "count", "category") == (
        "games.trivia.intro",
        {"count": 2, "category": "Fixtures"},
    )
    assert shown(terreau, first, "number", "total") == (
        "games.trivia.question",
        {"number": 1, "total": 2},
    )
    assert [choice.id.rsplit(":", 1)[1] for choice in first.choices] == ["0", "1", "2"][
        : len(first.choices)
    ]
    question = await open_question(terreau)
    assert question is not None
    right, wrong = right_and_wrong(question)
    await terreau.clock.set(NOON + timedelta(seconds=5))
    await terreau.choose(BOB, f"game:q{question.id}:{right}")
    await terreau.clock.set(NOON + timedelta(seconds=9))
    await terreau.choose(ALICE, f"game:q{question.id}:{right}")
    await terreau.choose(CAROL, f"game:q{question.id}:{wrong}")
    await terreau.choose(ALICE, f"game:q{question.id}:{wrong}")  # a second click changes nothing
    await terreau.choose(ROBOT, f"game:q{question.id}:{right}")
    assert private_to(terreau, ALICE)[-1] == "games.trivia.already_answered"
    assert private_to(terreau, CAROL)[-1] == "games.trivia.answer_taken"
    assert private_to(terreau, ROBOT) == []
    assert len(public(terreau)) == 2  # nothing is revealed before the window ends

    await terreau.at(NOON + MINUTE + MINUTE / 2)
    await terreau.choose(CAROL, f"game:q{question.id}:{right}")  # late
    assert private_to(terreau, CAROL)[-1] == "games.trivia.too_late"
    reveal, second = public(terreau)[2:]
    assert shown(terreau, reveal, "number", "answer", "correct", "answers", "winners") == (
        "games.trivia.reveal",
        {
            "number": 1,
            "answer": question.content["answer"],
            "correct": 2,
            "answers": 3,
            "winners": ["Bob", "Alice"],
        },
    )
    assert shown(terreau, reveal, "first", "bonus")[1] == {"first": "Bob", "bonus": 5}
    assert shown(terreau, second, "number", "total") == (
        "games.trivia.question",
        {"number": 2, "total": 2},
    )
    assert await points(terreau) == {"bob": 15, "alice": 10}

    following = await open_question(terreau)
    assert following is not None
    assert following.id != question.id
    await terreau.choose(ALICE, f"game:q{following.id}:{right_and_wrong(following)[0]}")
    await terreau.at(NOON + 3 * MINUTE)
    summary = public(terreau)[-1]
    assert shown(terreau, summary, "standings") == (
        "games.trivia.summary",
        {"standings": standings((1, "Alice", 25), (2, "Bob", 15))},
    )
    assert await open_question(terreau) is None
    assert await points(terreau) == {"alice": 25, "bob": 15}


async def test_free_answers_ignore_case_accents_and_punctuation(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "trivia", "capitals", "1")
    question = await open_question(terreau)
    assert question is not None
    assert question.content["choices"] == []
    assert shown(terreau, public(terreau)[-1], "multiple_choice") == (
        "games.trivia.question",
        {"multiple_choice": False},
    )
    await terreau.say(BOB, text="  reykjavik!! ")
    await terreau.say(CAROL, text="Oslo?")
    await terreau.say(CAROL, text="Reykjavík")  # only the first message counts
    await terreau.say(ROBOT, text="Reykjavík")
    await terreau.say(ALICE, text="REYKJAVÍK.", channel_id="random")  # another channel
    await terreau.at(NOON + 2 * MINUTE)
    reveal = public(terreau)[-2]
    assert shown(terreau, reveal, "answer", "correct", "answers", "winners") == (
        "games.trivia.reveal",
        {"answer": "Reykjavík", "correct": 1, "answers": 2, "winners": ["Bob"]},
    )
    assert await points(terreau) == {"bob": 15}
    await terreau.say(ALICE, text="reykjavik")  # after the round: just chat
    assert await points(terreau) == {"bob": 15}


async def test_ties_share_a_rank(terreau: Terreau) -> None:
    await begin(terreau, extra="first_bonus = 0\n")
    await terreau.command(MOD, "game", "trivia", "fixtures", "1")
    question = await open_question(terreau)
    assert question is not None
    right, _ = right_and_wrong(question)
    await terreau.choose(ALICE, f"game:q{question.id}:{right}")
    await terreau.choose(BOB, f"game:q{question.id}:{right}")
    await terreau.at(NOON + 2 * MINUTE)
    assert shown(terreau, public(terreau)[-1], "standings") == (
        "games.trivia.summary",
        {"standings": standings((1, "Alice", 10), (1, "Bob", 10))},
    )


async def test_one_round_at_a_time_per_channel(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "trivia", "fixtures", "1")
    await terreau.command(BOB, "game", "trivia")
    assert private_to(terreau, BOB)[-1] == "games.trivia.running"
    await terreau.command(BOB, "game", "trivia", "nosuch")
    answer = terreau.answers(BOB)[-1]
    assert shown(terreau, answer, "category") == (
        "games.trivia.unknown_category",
        {"category": "nosuch"},
    )
    assert "capitals" in str(terreau.prompts.of(answer).variables["known"])


async def test_a_restart_mid_round_resumes_and_never_scores_twice(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "trivia", "fixtures", "2")
    question = await open_question(terreau)
    assert question is not None
    await terreau.choose(BOB, f"game:q{question.id}:{right_and_wrong(question)[0]}")
    await terreau.stop()

    await terreau.clock.set(NOON + 10 * MINUTE)  # the window ended while Terreau was down
    await terreau.start(extra=games())
    reveal, second = public(terreau)
    assert shown(terreau, reveal, "number", "first") == (
        "games.trivia.reveal",
        {"number": 1, "first": "Bob"},
    )
    assert shown(terreau, second, "number", "total") == (
        "games.trivia.question",
        {"number": 2, "total": 2},
    )
    assert await points(terreau) == {"bob": 15}
    following = await open_question(terreau)
    assert following is not None
    assert following.closes_at == NOON + 11 * MINUTE

    await terreau.stop()
    await terreau.start(extra=games())
    assert public(terreau) == []  # nothing closed twice, nothing posted twice
    assert await points(terreau) == {"bob": 15}
    await terreau.at(NOON + 12 * MINUTE)
    assert terreau.said(public(terreau)[-1]) == "games.trivia.summary"


async def test_a_poll_keeps_results_hidden_until_it_closes(terreau: Terreau) -> None:
    await begin(terreau, extra="poll_minutes = 30\n")
    await terreau.command(ALICE, "game", "poll", "Tea or coffee?", "Tea", "|", "Coffee")
    assert private_to(terreau, ALICE)[-1] == "messages.commands.moderators_only"
    await terreau.command(MOD, "game", "poll", "Tea or coffee?", "Tea", "|", "Coffee")
    [post] = public(terreau)
    assert shown(terreau, post, "question", "options") == (
        "games.poll.post",
        {"question": "Tea or coffee?", "options": ["Tea", "Coffee"]},
    )
    poll = post.choices[0].id.split(":")[1]
    await terreau.choose(ALICE, f"game:{poll}:0")
    await terreau.choose(BOB, f"game:{poll}:1")
    await terreau.choose(BOB, f"game:{poll}:0")  # changed their mind
    await terreau.choose(ROBOT, f"game:{poll}:1")
    assert shown(terreau, terreau.answers(BOB)[-1], "choice") == (
        "games.poll.voted",
        {"choice": "Tea"},
    )
    assert len(public(terreau)) == 1
    await terreau.at(NOON + 29 * MINUTE)
    assert len(public(terreau)) == 1
    await terreau.at(NOON + 30 * MINUTE)
    assert shown(terreau, public(terreau)[-1], "rows", "total") == (
        "games.poll.results",
        {
            "rows": [
                {"label": "Tea", "count": 2, "percent": 100, "bar": "█" * 10, "leading": True},
                {"label": "Coffee", "count": 0, "percent": 0, "bar": "░" * 10, "leading": False},
            ],
            "total": 2,
        },
    )
    [retired] = [item for item in terreau.platform.sent if item.kind == "update"]
    assert retired.post.plain_text() == post.plain_text()
    assert retired.post.choices == ()
    await terreau.choose(CAROL, f"game:{poll}:1")
    assert private_to(terreau, CAROL)[-1] == "games.poll.closed"


async def test_a_poll_with_bad_options_is_refused(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(MOD, "game", "poll", "Tea?", "Tea")
    assert shown(terreau, terreau.answers(MOD)[-1], "maximum") == (
        "games.poll.bad_options",
        {"maximum": 5},
    )
    assert public(terreau) == []


async def test_a_poll_question_or_option_too_long_is_told_its_length(terreau: Terreau) -> None:
    await begin(terreau)
    assert terreau.app is not None
    catalog = terreau.app.catalog(KEY)
    question = "Why " + "really " * 60 + "?"

    await terreau.command(MOD, "game", "poll", question, "Tea | Coffee")
    assert (
        terreau.answers(MOD)[-1].plain_text()
        == catalog.post(
            "games.poll.question_too_long", length=len(question), maximum=300
        ).plain_text()
    )

    option = "Coffee " * 50
    await terreau.command(MOD, "game", "poll", "Tea?", f"Tea | {option}")
    assert (
        terreau.answers(MOD)[-1].plain_text()
        == catalog.post(
            "games.poll.option_too_long", number=2, length=len(option.strip()), maximum=300
        ).plain_text()
    )
    assert public(terreau) == []


async def test_two_truths_and_a_lie(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "twotruths", "I have a cat", "I speak Welsh", "I flew")
    assert private_to(terreau, ALICE)[-1] == "games.twotruths.submitted"
    [post] = public(terreau)
    labels = [choice.label for choice in post.choices]
    assert sorted(labels[:3]) == ["I flew", "I have a cat", "I speak Welsh"]
    game = post.choices[0].id.split(":")[1]
    lie = labels.index("I flew")
    truth = labels.index("I have a cat")
    await terreau.choose(BOB, f"game:{game}:{lie}")
    await terreau.choose(BOB, f"game:{game}:{truth}")
    assert private_to(terreau, BOB)[-1] == "games.twotruths.already_guessed"
    await terreau.choose(CAROL, f"game:{game}:{truth}")
    await terreau.choose(ALICE, f"game:{game}:{lie}")
    assert private_to(terreau, ALICE)[-1] == "games.twotruths.own_game"
    await terreau.choose(BOB, f"game:{game}:reveal")
    assert shown(terreau, terreau.answers(BOB)[-1], "author") == (
        "games.twotruths.author_only",
        {"author": "Alice"},
    )
    await terreau.choose(ALICE, f"game:{game}:reveal")
    names = ("author", "lie", "spotted", "spot_points", "fooled", "fool_points")
    assert shown(terreau, public(terreau)[-1], *names) == (
        "games.twotruths.revealed",
        {
            "author": "Alice",
            "lie": "I flew",
            "spotted": ["Bob"],
            "spot_points": 5,
            "fooled": 1,
            "fool_points": 3,
        },
    )
    assert await points(terreau) == {"bob": 5, "alice": 3}
    await terreau.choose(ALICE, f"game:{game}:reveal")
    assert private_to(terreau, ALICE)[-1] == "games.twotruths.closed"
    assert await points(terreau) == {"bob": 5, "alice": 3}


async def test_two_truths_reveal_themselves_after_the_deadline(terreau: Terreau) -> None:
    await begin(terreau, extra="twotruths_hours = 2\n")
    await terreau.command(ALICE, "game", "twotruths", "One", "Two", "Three")
    await terreau.at(NOON + timedelta(hours=2))
    assert shown(terreau, public(terreau)[-1], "lie") == (
        "games.twotruths.revealed",
        {"lie": "Three"},
    )


async def play_one_question(terreau: Terreau, winner: Member, start: datetime) -> None:
    await terreau.command(winner, "game", "trivia", "fixtures", "1")
    question = await open_question(terreau)
    assert question is not None
    await terreau.choose(winner, f"game:q{question.id}:{right_and_wrong(question)[0]}")
    await terreau.at(start + 2 * MINUTE)


async def test_seasons_roll_over_in_the_community_timezone(terreau: Terreau) -> None:
    october = datetime(2026, 10, 30, 10, 0, tzinfo=UTC)
    await begin(terreau, moment=october)
    await play_one_question(terreau, BOB, october)
    november_in_paris = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # 1 Nov 00:00 CET
    await terreau.at(november_in_paris - MINUTE)
    assert terreau.prompts.keys("games.season.ended") == []
    await terreau.at(november_in_paris)
    # Nobody played the season before: nobody improved.
    assert shown(terreau, public(terreau)[-1], "season", "top", "improved") == (
        "games.season.ended",
        {"season": "2026-10", "top": standings((1, "Bob", 15)), "improved": None},
    )

    later = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    await terreau.at(later)
    await play_one_question(terreau, ALICE, later)
    await terreau.at(later + timedelta(hours=1))
    await play_one_question(terreau, ALICE, later + timedelta(hours=1))
    await terreau.command(BOB, "game", "leaderboard")
    assert shown(terreau, terreau.answers(BOB)[-1], "season", "standings") == (
        "games.leaderboard.body",
        {"season": "2026-11", "standings": standings((1, "Alice", 30))},
    )
    await terreau.command(BOB, "game", "leaderboard", "2026-10")
    assert shown(terreau, terreau.answers(BOB)[-1], "season", "standings") == (
        "games.leaderboard.body",
        {"season": "2026-10", "standings": standings((1, "Bob", 15))},
    )
    await terreau.command(BOB, "game", "leaderboard", "all")
    assert private_to(terreau, BOB)[-1] == "games.leaderboard.all_time_moderators"
    await terreau.command(MOD, "game", "leaderboard", "all")
    assert shown(terreau, terreau.answers(MOD)[-1], "season", "standings") == (
        "games.leaderboard.body",
        {"season": None, "standings": standings((1, "Alice", 30), (2, "Bob", 15))},
    )

    december_in_paris = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    await terreau.stop()
    await terreau.clock.set(december_in_paris + timedelta(hours=5))  # down at midnight
    await terreau.start(extra=games())
    assert shown(terreau, public(terreau)[-1], "season", "improved", "gain") == (
        "games.season.ended",
        {"season": "2026-11", "improved": "Alice", "gain": 30},
    )
    await terreau.stop()
    await terreau.start(extra=games())
    assert public(terreau) == []


async def test_scheduled_trivia_runs_once(terreau: Terreau) -> None:
    schedule = (
        "\n[[communities.games.schedules]]\n"
        'name = "lunch"\ngame = "trivia"\ncron = "30 12 * * *"\n'
        'category = "fixtures"\nquestions = 1\n'
    )
    await begin(terreau, extra=schedule)
    half_past = NOON + 30 * MINUTE
    await terreau.at(half_past)
    assert shown(terreau, public(terreau)[-1], "number", "total") == (
        "games.trivia.question",
        {"number": 1, "total": 1},
    )
    await terreau.stop()
    await terreau.start(extra=games() + schedule)
    assert public(terreau) == []


async def test_answers_votes_and_scores_go_to_the_interaction_log(terreau: Terreau) -> None:
    await begin(terreau)
    await play_one_question(terreau, ALICE, NOON)
    app = terreau.app
    assert app is not None
    await app.writer.flush()
    async with app.database.read() as uow:
        rows = (
            await uow.connection.execute(
                text("SELECT member_id, meta FROM interactions WHERE kind = 'game'")
            )
        ).all()
    actions = sorted(str(row.meta) for row in rows)
    assert len(rows) == 3  # the answer, the points, the first-answer bonus
    assert any(
        "'action': 'answer'" in action or '"action": "answer"' in action for action in actions
    )


async def test_games_can_be_switched_off(terreau: Terreau) -> None:
    await begin(terreau, extra="enabled = false\n")
    await terreau.command(ALICE, "game", "trivia")
    assert private_to(terreau, ALICE)[-1] == "games.disabled"
    assert public(terreau) == []


async def test_rounds_rotate_questions_without_repeats(terreau: Terreau) -> None:
    await begin(terreau)
    asked = []
    for round_number in range(2):
        start = NOON + round_number * 5 * MINUTE
        await terreau.at(start)
        await terreau.command(ALICE, "game", "trivia", "fixtures", "1")
        question = await open_question(terreau)
        assert question is not None
        asked.append(question.item_id)
        await terreau.at(start + 2 * MINUTE)
    assert sorted(asked) == ["fixture-001", "fixture-002"]


async def test_scheduled_polls_come_from_the_content_and_close(terreau: Terreau) -> None:
    schedule = (
        "\n[[communities.games.schedules]]\n"
        'name = "friday"\ngame = "poll"\ncron = "15 12 * * *"\nkind = "this_or_that"\n'
    )
    await begin(terreau, extra="poll_minutes = 10\n" + schedule)
    await terreau.at(NOON + 15 * MINUTE)
    [post] = public(terreau)
    assert 2 <= len(post.choices) <= 5
    poll = post.choices[0].id.split(":")[1]
    await terreau.choose(BOB, f"game:{poll}:1")
    await terreau.at(NOON + 25 * MINUTE)
    key, shown_rows = shown(terreau, public(terreau)[-1], "rows")
    assert key == "games.poll.results"
    rows = {row["label"]: (row["count"], row["percent"]) for row in shown_rows["rows"]}  # type: ignore[attr-defined]
    assert rows[post.choices[1].label] == (1, 100)
    # The poll records its kind of the library, for the report's polls by kind.
    assert terreau.app is not None
    kind_of = select(GamePollRow.__table__.c.content_kind).where(
        GamePollRow.__table__.c.id == int(poll.removeprefix("p"))
    )
    async with terreau.app.database.read() as uow:
        assert (await uow.connection.execute(kind_of)).scalar_one() == "this_or_that"
