"""Reports end to end through the fake platform: the command, the weekly digest, nudges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.activity import Level
from bot.domain import Member, MessagePosted, ReactionAdded
from tests.e2e.conftest import ALICE, AT_NINE, KEY, MOD, Terreau, next_id
from tests.fakes import ManualClock

BOB = Member(id="bob", display_name="Bob")
CAROL = Member(id="carol", display_name="Carol")
THURSDAY = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)


def report_config(tmp_path: Path, **settings: str) -> str:
    lines = [f'chart_dir = "{tmp_path / "charts"}"', 'exclude_members = ["mod"]']
    lines += [f"{key} = {value}" for key, value in settings.items()]
    return "\n[communities.report]\n" + "\n".join(lines) + "\n"


async def post(terreau: Terreau, member: Member, text: str, **fields: object) -> str:
    message_id = next_id("u")
    await terreau.deliver(
        MessagePosted(
            event_id=next_id(),
            community=KEY,
            occurred_at=terreau.clock.now(),
            member=member,
            channel_id=str(fields.pop("channel_id", "general")),
            message_id=message_id,
            text=text,
            **fields,  # type: ignore[arg-type]
        )
    )
    return message_id


async def react(terreau: Terreau, member: Member, message_id: str) -> None:
    await terreau.deliver(
        ReactionAdded(
            event_id=next_id(),
            community=KEY,
            occurred_at=terreau.clock.now(),
            member=member,
            channel_id="general",
            message_id=message_id,
            emoji="👍",
        )
    )


def is_png(path: str | None) -> bool:
    assert path is not None
    data = Path(path).read_bytes()
    return data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


async def test_moderators_get_the_report_with_its_chart(terreau: Terreau, tmp_path: Path) -> None:
    await terreau.start(extra=report_config(tmp_path))
    question = await post(terreau, ALICE, "Who knows a good bakery?")
    await post(terreau, BOB, "Le Fournil", reply_to=question)
    await react(terreau, CAROL, question)
    await post(terreau, MOD, "Welcome all")
    await terreau.command(MOD, "report", "week")
    [answer] = terreau.platform.sent[-1:]
    assert answer.kind == "respond" and answer.private
    text = answer.post.plain_text()
    assert "Community report" in text
    assert "Rowers (posted): 67%" in text  # alice and bob of three present; mod excluded
    assert "Reacted or clicked, never posted: 33%" in text
    assert "Questions asked: 1" in text
    assert "Median time to a first answer: 0.0 h" in text
    assert is_png(answer.post.image_path)


async def test_members_cannot_ask_for_a_report(terreau: Terreau, tmp_path: Path) -> None:
    await terreau.start(extra=report_config(tmp_path))
    await terreau.command(ALICE, "report", "")
    [answer] = terreau.platform.posts("respond")
    assert "Only moderators" in answer.plain_text()
    assert answer.image_path is None


async def test_a_bad_period_is_explained(terreau: Terreau, tmp_path: Path) -> None:
    await terreau.start(extra=report_config(tmp_path))
    await terreau.command(MOD, "report", "fortnight")
    [answer] = terreau.platform.posts("respond")
    assert "can't read the period “fortnight”" in answer.plain_text()


async def test_a_channel_report(terreau: Terreau, tmp_path: Path) -> None:
    await terreau.start(extra=report_config(tmp_path))
    await post(terreau, ALICE, "hello", channel_id="random")
    await post(terreau, BOB, "hi")
    await terreau.command(MOD, "report", "week", "#random")
    text = terreau.platform.posts("respond")[-1].plain_text()
    assert "Community report for #random" in text
    assert "Active members (did anything): 1" in text


async def test_a_report_of_an_unknown_channel_names_it_instead_of_counting_zeros(
    terreau: Terreau, tmp_path: Path
) -> None:
    app = await terreau.start(extra=report_config(tmp_path))
    await post(terreau, BOB, "hi")

    await terreau.command(MOD, "report", "week", "#no-such-channel")

    [answer] = terreau.platform.sent[-1:]
    assert answer.kind == "respond" and answer.private and answer.post.image_path is None
    assert answer.post.plain_text() == app.catalog(KEY).text(
        "report.digest.unknown_channel",
        member=MOD.display_name,
        channel="#no-such-channel",
        known=["#general", "#moderators"],
    )


async def test_the_weekly_digest_reaches_the_moderators(terreau: Terreau, tmp_path: Path) -> None:
    terreau.clock = ManualClock(THURSDAY)
    await terreau.start(extra=report_config(tmp_path, digest_cron='"0 9 * * 1"'))
    question = await post(terreau, ALICE, "Anyone up for a walk?")
    await terreau.clock.set(THURSDAY + timedelta(hours=30))
    await post(terreau, BOB, "Me!", reply_to=question)
    await post(terreau, ALICE, "Which trail?")
    await terreau.at(AT_NINE)
    [digest] = [s for s in terreau.platform.sent if s.where and s.where.channel_id == "mods"]
    text = digest.post.plain_text()
    assert "Monday 16 November to Sunday 22 November (7 days" in text
    assert "Questions asked: 2" in text
    assert "Median time to a first answer: 30.0 h" in text
    # The walk got its answer after 30 hours: too late for the 24-hour mark, but answered.
    assert "Questions without an answer within 24 h: 2" in text
    assert "• Alice in #general" in text  # the walk was answered, the trail was not
    assert is_png(digest.post.image_path)
    await terreau.stop()
    await terreau.start(extra=report_config(tmp_path, digest_cron='"0 9 * * 1"'))
    await terreau.at(AT_NINE + timedelta(minutes=5))
    assert not [s for s in terreau.platform.sent if s.where and s.where.channel_id == "mods"]


async def test_an_unanswered_question_gets_one_nudge(terreau: Terreau, tmp_path: Path) -> None:
    terreau.clock = ManualClock(THURSDAY)
    extra = report_config(tmp_path, nudge="true", unanswered_after_hours="4")
    await terreau.start(extra=extra)
    await post(terreau, ALICE, "Is the meetup still on?")
    answered = await post(terreau, CAROL, "Where do I find the slides?")
    await terreau.clock.set(THURSDAY + timedelta(minutes=30))
    await post(terreau, BOB, "In the pinned messages", reply_to=answered)
    await terreau.at(THURSDAY + timedelta(hours=3, minutes=5))
    assert terreau.platform.posts() == []  # not yet four hours
    await terreau.at(THURSDAY + timedelta(hours=4, minutes=5))
    [nudge] = terreau.platform.sent
    assert nudge.where is not None and nudge.where.channel_id == "general"
    assert "A question Alice asked here 4 hours ago" in nudge.post.plain_text()
    await terreau.at(THURSDAY + timedelta(hours=5, minutes=5))
    assert len(terreau.platform.posts()) == 1
    await terreau.stop()
    await terreau.start(extra=extra)
    await terreau.at(THURSDAY + timedelta(hours=6, minutes=5))
    assert len(terreau.platform.posts()) == 0  # a new process: still one nudge in all


async def record_levels(terreau: Terreau) -> None:
    """September and October snapshots: two members rose, one fell; a bot and the moderator
    (excluded from figures) rose too, and are never counted."""
    app = terreau.app
    assert app is not None
    community = app.community_id(KEY)
    async with app.database.transaction() as uow:
        for member, name in (
            ("ev", "@everyone"),
            ("zoe", "Zoé"),
            ("bob", "Bob"),
            ("bot", "Bip"),
            ("mod", "Mo"),
        ):
            await uow.members.upsert_seen(community, member, name, is_bot=member == "bot")
        september = {
            "ev": Level.OCCASIONAL,
            "zoe": Level.QUIET,
            "bob": Level.CORE,
            "bot": Level.QUIET,
            "mod": Level.QUIET,
        }
        october = {
            "ev": Level.CORE,
            "zoe": Level.ACTIVE,
            "bob": Level.ACTIVE,
            "bot": Level.CORE,
            "mod": Level.CORE,
        }
        await uow.activity.record_month(community, date(2026, 9, 1), september)
        await uow.activity.record_month(community, date(2026, 10, 1), october)


async def test_game_and_level_figures(terreau: Terreau, tmp_path: Path) -> None:
    games = '\n[communities.games]\nchannel = "general"\n'
    await terreau.start(extra=report_config(tmp_path, digest_cron='"0 9 * * 1"') + games)
    await record_levels(terreau)
    await terreau.command(MOD, "game", "poll", "Tea or coffee?", "Tea", "|", "Coffee")
    [poll] = terreau.platform.posts()
    choice = poll.choices[0].id.rsplit(":", 1)[0]
    for member in (ALICE, BOB, MOD, Member(id="robot", display_name="Robot", is_bot=True)):
        await terreau.choose(member, f"{choice}:0")
    await terreau.command(MOD, "report", "week")
    answer = terreau.platform.sent[-1]
    assert answer.kind == "respond" and answer.private
    text = answer.post.plain_text()
    assert (
        "Members who played games: 2" in text
    )  # alice and bob; not the robot, nor the moderator (`exclude_members`)
    assert "Games held (0 trivia rounds, 1 poll, 0 two truths and a lie): 1" in text
    # Moderators see who moved, as plain text: "@everyone" is a name here, not a ping.
    # The week before compared the same two months: no change to show.
    assert "moved up a level from 2026-09 to 2026-10: 2 — @everyone, Zoé" in text
    assert "moved down a level from 2026-09 to 2026-10: 1 — Bob" in text
    assert answer.post.mentions == ()
    assert "member of the month" not in text  # elections are not enabled here
    await terreau.at(AT_NINE)
    [digest] = [s for s in terreau.platform.sent if s.where and s.where.channel_id == "mods"]
    # The digest goes to a channel: counts only, no names.
    assert "moved up a level from 2026-09 to 2026-10: 2\n" in digest.post.plain_text()
    assert "Zoé" not in digest.post.plain_text() and "@everyone" not in digest.post.plain_text()


async def test_a_disabled_feature_adds_no_figure(terreau: Terreau, tmp_path: Path) -> None:
    games = "\n[communities.games]\nenabled = false\n"
    await terreau.start(extra=report_config(tmp_path) + games)
    app = terreau.app
    assert app is not None
    async with app.database.transaction() as uow:
        poll = await uow.games.add_poll(
            app.community_id(KEY),
            kind="poll",
            channel_id="general",
            question="Tea?",
            options=["tea", "coffee"],
            closes_at=None,
        )
        await uow.games.vote(poll, "alice", "Alice", 0, change=True)
    await terreau.command(MOD, "report", "week")
    text = terreau.platform.posts("respond")[-1].plain_text()
    assert "Community report" in text
    assert "played games" not in text and "Games held" not in text
