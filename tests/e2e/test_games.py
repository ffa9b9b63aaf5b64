"""Games end to end: trivia rounds, polls, two truths and a lie, seasons, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bot.domain import Member, Post
from bot.storage import QuestionRecord
from tests.e2e.conftest import ALICE, KEY, MOD, Terreau

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
    return [
        item.post.plain_text()
        for item in terreau.platform.sent
        if item.kind == "respond" and item.member_id == member.id and item.private
    ]


def right_and_wrong(question: QuestionRecord) -> tuple[int, int]:
    choices = question.content["choices"]
    right = choices.index(question.content["answer"])
    return right, (right + 1) % len(choices)


async def test_a_full_round_with_buttons_scores_reveals_and_sums_up(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "trivia", "fixtures", "2")
    assert "The round has started." in private_to(terreau, ALICE)
    intro, first = public(terreau)
    assert "2 questions about Fixtures" in intro.plain_text()
    assert "Question 1/2" in first.plain_text()
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
    assert "one answer per person" in private_to(terreau, ALICE)[-1]
    assert "is in" in private_to(terreau, CAROL)[-1]
    assert private_to(terreau, ROBOT) == []
    assert len(public(terreau)) == 2  # nothing is revealed before the window ends

    await terreau.at(NOON + MINUTE + MINUTE / 2)
    await terreau.choose(CAROL, f"game:q{question.id}:{right}")  # late
    assert "Too late" in private_to(terreau, CAROL)[-1]
    reveal, second = public(terreau)[2:]
    assert f"Answer 1: {question.content['answer']}" in reveal.plain_text()
    assert "2 of 3 found it: Bob, Alice. Bob was first (+5)." in reveal.plain_text()
    assert "Question 2/2" in second.plain_text()
    assert await points(terreau) == {"bob": 15, "alice": 10}

    following = await open_question(terreau)
    assert following is not None
    assert following.id != question.id
    await terreau.choose(ALICE, f"game:q{following.id}:{right_and_wrong(following)[0]}")
    await terreau.at(NOON + 3 * MINUTE)
    summary = public(terreau)[-1]
    assert "End of the round" in summary.plain_text()
    assert "1. Alice: 25 points" in summary.plain_text()
    assert "2. Bob: 15 points" in summary.plain_text()
    assert await open_question(terreau) is None
    assert await points(terreau) == {"alice": 25, "bob": 15}


async def test_free_answers_ignore_case_accents_and_punctuation(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "trivia", "capitals", "1")
    question = await open_question(terreau)
    assert question is not None
    assert question.content["choices"] == []
    assert "Type your answer in this channel" in public(terreau)[-1].plain_text()
    await terreau.say(BOB, text="  reykjavik!! ")
    await terreau.say(CAROL, text="Oslo?")
    await terreau.say(CAROL, text="Reykjavík")  # only the first message counts
    await terreau.say(ROBOT, text="Reykjavík")
    await terreau.say(ALICE, text="REYKJAVÍK.", channel_id="random")  # another channel
    await terreau.at(NOON + 2 * MINUTE)
    reveal = public(terreau)[-2]
    assert "Answer 1: Reykjavík" in reveal.plain_text()
    assert "1 of 2 found it: Bob." in reveal.plain_text()
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
    summary = public(terreau)[-1].plain_text()
    assert "1. Alice: 10 points" in summary
    assert "1. Bob: 10 points" in summary


async def test_one_round_at_a_time_per_channel(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "trivia", "fixtures", "1")
    await terreau.command(BOB, "game", "trivia")
    assert "already running" in private_to(terreau, BOB)[-1]
    await terreau.command(BOB, "game", "trivia", "nosuch")
    assert "no trivia category called “nosuch”" in private_to(terreau, BOB)[-1]
    assert "capitals" in private_to(terreau, BOB)[-1]


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
    assert "Answer 1" in reveal.plain_text()
    assert "Bob was first" in reveal.plain_text()
    assert "Question 2/2" in second.plain_text()
    assert await points(terreau) == {"bob": 15}
    following = await open_question(terreau)
    assert following is not None
    assert following.closes_at == NOON + 11 * MINUTE

    await terreau.stop()
    await terreau.start(extra=games())
    assert public(terreau) == []  # nothing closed twice, nothing posted twice
    assert await points(terreau) == {"bob": 15}
    await terreau.at(NOON + 12 * MINUTE)
    assert "End of the round" in public(terreau)[-1].plain_text()


async def test_a_poll_keeps_results_hidden_until_it_closes(terreau: Terreau) -> None:
    await begin(terreau, extra="poll_minutes = 30\n")
    await terreau.command(ALICE, "game", "poll", "Tea or coffee?", "Tea", "|", "Coffee")
    assert "Only moderators" in private_to(terreau, ALICE)[-1]
    await terreau.command(MOD, "game", "poll", "Tea or coffee?", "Tea", "|", "Coffee")
    [post] = public(terreau)
    assert "Tea or coffee?" in post.plain_text()
    poll = post.choices[0].id.split(":")[1]
    await terreau.choose(ALICE, f"game:{poll}:0")
    await terreau.choose(BOB, f"game:{poll}:1")
    await terreau.choose(BOB, f"game:{poll}:0")  # changed their mind
    await terreau.choose(ROBOT, f"game:{poll}:1")
    assert "You chose “Tea”" in private_to(terreau, BOB)[-1]
    assert len(public(terreau)) == 1
    await terreau.at(NOON + 29 * MINUTE)
    assert len(public(terreau)) == 1
    await terreau.at(NOON + 30 * MINUTE)
    results = public(terreau)[-1].plain_text()
    assert "`██████████` Tea: 2 (100%) 🏆" in results
    assert "`░░░░░░░░░░` Coffee: 0 (0%)" in results
    assert "2 votes." in results
    [retired] = [item for item in terreau.platform.sent if item.kind == "update"]
    assert retired.post.plain_text() == post.plain_text()
    assert retired.post.choices == ()
    await terreau.choose(CAROL, f"game:{poll}:1")
    assert "closed" in private_to(terreau, CAROL)[-1]


async def test_a_poll_with_bad_options_is_refused(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(MOD, "game", "poll", "Tea?", "Tea")
    assert "from 2 to 5 different options" in private_to(terreau, MOD)[-1]
    assert public(terreau) == []


async def test_a_poll_question_or_option_too_long_is_told_its_length(terreau: Terreau) -> None:
    await begin(terreau)
    assert terreau.app is not None
    catalog = terreau.app.catalog(KEY)
    question = "Why " + "really " * 60 + "?"

    await terreau.command(MOD, "game", "poll", question, "Tea | Coffee")
    assert (
        private_to(terreau, MOD)[-1]
        == catalog.post(
            "games.poll.question_too_long", length=len(question), maximum=300
        ).plain_text()
    )

    option = "Coffee " * 50
    await terreau.command(MOD, "game", "poll", "Tea?", f"Tea | {option}")
    assert (
        private_to(terreau, MOD)[-1]
        == catalog.post(
            "games.poll.option_too_long", number=2, length=len(option.strip()), maximum=300
        ).plain_text()
    )
    assert public(terreau) == []


async def test_two_truths_and_a_lie(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(ALICE, "game", "twotruths", "I have a cat", "I speak Welsh", "I flew")
    assert "posted, shuffled" in private_to(terreau, ALICE)[-1]
    [post] = public(terreau)
    labels = [choice.label for choice in post.choices]
    assert sorted(labels[:3]) == ["I flew", "I have a cat", "I speak Welsh"]
    game = post.choices[0].id.split(":")[1]
    lie = labels.index("I flew")
    truth = labels.index("I have a cat")
    await terreau.choose(BOB, f"game:{game}:{lie}")
    await terreau.choose(BOB, f"game:{game}:{truth}")
    assert "already guessed" in private_to(terreau, BOB)[-1]
    await terreau.choose(CAROL, f"game:{game}:{truth}")
    await terreau.choose(ALICE, f"game:{game}:{lie}")
    assert "your own statements" in private_to(terreau, ALICE)[-1]
    await terreau.choose(BOB, f"game:{game}:reveal")
    assert "Only Alice can reveal" in private_to(terreau, BOB)[-1]
    await terreau.choose(ALICE, f"game:{game}:reveal")
    revealed = public(terreau)[-1].plain_text()
    assert "The lie was: I flew" in revealed
    assert "Spotted by Bob (+5 each)" in revealed
    assert "Alice fooled 1 person (+3)" in revealed
    assert await points(terreau) == {"bob": 5, "alice": 3}
    await terreau.choose(ALICE, f"game:{game}:reveal")
    assert "game is over" in private_to(terreau, ALICE)[-1]
    assert await points(terreau) == {"bob": 5, "alice": 3}


async def test_two_truths_reveal_themselves_after_the_deadline(terreau: Terreau) -> None:
    await begin(terreau, extra="twotruths_hours = 2\n")
    await terreau.command(ALICE, "game", "twotruths", "One", "Two", "Three")
    await terreau.at(NOON + timedelta(hours=2))
    assert "The lie was: Three" in public(terreau)[-1].plain_text()


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
    assert not any("Season 2026-10 is over" in post.plain_text() for post in public(terreau))
    await terreau.at(november_in_paris)
    ended = public(terreau)[-1].plain_text()
    assert "Season 2026-10 is over!" in ended
    assert "1. Bob: 15 points" in ended
    assert "Most improved" not in ended  # nobody played the season before

    later = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    await terreau.at(later)
    await play_one_question(terreau, ALICE, later)
    await terreau.at(later + timedelta(hours=1))
    await play_one_question(terreau, ALICE, later + timedelta(hours=1))
    await terreau.command(BOB, "game", "leaderboard")
    assert "season 2026-11" in private_to(terreau, BOB)[-1]
    assert "1. Alice: 30 points" in private_to(terreau, BOB)[-1]
    await terreau.command(BOB, "game", "leaderboard", "2026-10")
    assert "1. Bob: 15 points" in private_to(terreau, BOB)[-1]
    await terreau.command(BOB, "game", "leaderboard", "all")
    assert "for moderators" in private_to(terreau, BOB)[-1]
    await terreau.command(MOD, "game", "leaderboard", "all")
    assert "1. Alice: 30 points" in private_to(terreau, MOD)[-1]
    assert "2. Bob: 15 points" in private_to(terreau, MOD)[-1]

    december_in_paris = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    await terreau.stop()
    await terreau.clock.set(december_in_paris + timedelta(hours=5))  # down at midnight
    await terreau.start(extra=games())
    ended = public(terreau)[-1].plain_text()
    assert "Season 2026-11 is over!" in ended
    assert "Most improved: Alice (+30 points" in ended
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
    assert "Question 1/1" in public(terreau)[-1].plain_text()
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
    assert "switched off" in private_to(terreau, ALICE)[-1]
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
    results = public(terreau)[-1].plain_text()
    assert f"{post.choices[1].label}: 1 (100%)" in results
