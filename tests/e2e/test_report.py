"""Reports end to end through the fake platform: the command, the weekly digest, nudges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.activity import Level
from bot.domain import ChannelMention, Member, MessagePosted, Post, ReactionAdded
from tests.e2e.conftest import ALICE, AT_NINE, KEY, MOD, Terreau, next_id
from tests.fakes import ManualClock, Rendered

pytestmark = pytest.mark.report

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


class Shown(NamedTuple):
    """One figure as a report shows it: its label's variables, its value, whom it names."""

    label: dict[str, object]
    value: str
    names: str | None


def report_of(terreau: Terreau, post: Post) -> Rendered:
    rendered = terreau.prompts.of(post)
    assert rendered.key == "report.digest.body"
    return rendered


def figures(terreau: Terreau, post: Post) -> dict[str, Shown]:
    """The figures a report post shows, by the prompt key of their label."""
    labels = {r.text: r for r in terreau.prompts.rendered if r.key.startswith("report.figures.")}
    shown = report_of(terreau, post).variables["figures"]
    return {
        labels[f["label"]].key: Shown(dict(labels[f["label"]].variables), f["value"], f["names"])
        for f in shown  # type: ignore[attr-defined]
    }


def value(terreau: Terreau, unit: str, number: str) -> str:
    """A figure's value as the report writes it (e.g. `share` 67: "67%")."""
    return terreau.catalog().text(f"report.units.{unit}", value=number)


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
    shown = figures(terreau, answer.post)
    # Alice and Bob posted, of three present (the moderator is excluded); Carol reacted.
    assert shown["report.figures.rowers"].value == value(terreau, "share", "67")
    assert shown["report.figures.reactors"].value == value(terreau, "share", "33")
    assert shown["report.figures.questions"].value == value(terreau, "count", "1")
    assert shown["report.figures.first_reply"].value == value(terreau, "hours", "0.0")
    assert is_png(answer.post.image_path)
    # Moderators are pointed to the full HTML report; a day of history gives no advice.
    body = report_of(terreau, answer.post).variables
    assert (body["full_report"], body["advice"]) == (KEY, None)


async def test_members_cannot_ask_for_a_report(terreau: Terreau, tmp_path: Path) -> None:
    await terreau.start(extra=report_config(tmp_path))
    await terreau.command(ALICE, "report", "")
    [answer] = terreau.platform.posts("respond")
    assert terreau.said(answer) == "messages.commands.moderators_only"
    assert answer.image_path is None


async def test_a_bad_period_is_explained(terreau: Terreau, tmp_path: Path) -> None:
    await terreau.start(extra=report_config(tmp_path))
    await terreau.command(MOD, "report", "fortnight")
    [answer] = terreau.platform.posts("respond")
    assert terreau.prompts.said(answer, "period") == (
        "report.digest.bad_period",
        {"period": "fortnight"},
    )


async def test_a_channel_report(terreau: Terreau, tmp_path: Path) -> None:
    await terreau.start(extra=report_config(tmp_path))
    await post(terreau, ALICE, "hello", channel_id="random")
    await post(terreau, BOB, "hi")
    await terreau.command(MOD, "report", "week", "#random")
    answer = terreau.platform.posts("respond")[-1]
    assert report_of(terreau, answer).variables["channel"] == ChannelMention(
        channel_id="random", name="random"
    )
    assert figures(terreau, answer)["report.figures.active"].value == value(terreau, "count", "1")


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
    body = report_of(terreau, digest.post).variables
    assert (body["first"], body["last"], body["days"]) == (
        date(2026, 11, 16),
        date(2026, 11, 22),
        7,
    )
    shown = figures(terreau, digest.post)
    assert shown["report.figures.questions"].value == value(terreau, "count", "2")
    assert shown["report.figures.first_reply"].value == value(terreau, "hours", "30.0")
    # The walk got its answer after 30 hours: too late for the 24-hour mark, but answered.
    unanswered = shown["report.figures.unanswered"]
    assert (unanswered.label, unanswered.value) == ({"hours": 24}, value(terreau, "count", "2"))
    # Still waiting: the trail; the walk was answered.
    waiting = body["unanswered"]
    assert [(q.member, q.channel.channel_id) for q in waiting] == [("Alice", "general")]  # type: ignore[attr-defined]
    assert is_png(digest.post.image_path)
    assert (body["full_report"], body["advice"]) == (None, None)  # a channel's digest
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
    assert terreau.prompts.said(nudge.post, "member", "hours") == (
        "report.nudge.body",
        {"member": "Alice", "hours": 4},
    )
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
    shown = figures(terreau, answer.post)
    # Alice and Bob; not the robot, nor the moderator (`exclude_members`).
    assert shown["report.figures.game_players"].value == value(terreau, "count", "2")
    held = shown["report.figures.games_held"]
    assert held.label == {"trivia": 0, "poll": 1, "twotruths": 0}
    assert held.value == value(terreau, "count", "1")
    # Moderators see who moved, as plain text: "@everyone" is a name here, not a ping.
    # The week before compared the same two months: no change to show.
    months = {"before": "2026-09", "after": "2026-10"}
    up, down = shown["report.figures.levels_up"], shown["report.figures.levels_down"]
    assert (up.label, up.value) == (months, value(terreau, "count", "2"))
    assert up.names == terreau.catalog().text("report.names.listed", names="@everyone, Zoé", more=0)
    assert (down.label, down.value) == (months, value(terreau, "count", "1"))
    assert down.names == terreau.catalog().text("report.names.listed", names="Bob", more=0)
    assert answer.post.mentions == ()
    # Elections are not enabled here: none of their figures.
    assert terreau.catalog().keys("report.figures.election_")
    assert not [key for key in shown if key.startswith("report.figures.election_")]
    await terreau.at(AT_NINE)
    [digest] = [s for s in terreau.platform.sent if s.where and s.where.channel_id == "mods"]
    # The digest goes to a channel: counts only, no names.
    in_channel = figures(terreau, digest.post)["report.figures.levels_up"]
    assert (in_channel.value, in_channel.names) == (value(terreau, "count", "2"), None)
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
    shown = figures(terreau, terreau.platform.posts("respond")[-1])
    assert "report.figures.active" in shown
    assert terreau.catalog().keys("report.figures.game")
    assert not [key for key in shown if key.startswith("report.figures.game")]


@pytest.mark.parametrize("rest", [True, False])
async def test_prompts_never_answered_are_flagged_to_moderators(
    terreau: Terreau, tmp_path: Path, rest: bool
) -> None:
    app = await terreau.start(rest=rest, extra=report_config(tmp_path))
    # Three months ago the ritual used the same prompt three times; nobody answered.
    sent = terreau.clock.now() - timedelta(days=90)
    for week in range(3):
        at = sent + timedelta(weeks=week)
        async with app.database.transaction() as uow:
            outbox_id = await uow.outbox.add(
                community_id=app.community_id(KEY),
                nonce=f"silent-{week}",
                channel_id="general",
                thread_id=None,
                payload={"community": KEY, "post": {"text": "?"}},
                job_id=f"posts:{KEY}:question",
                content=("discussion", "silent"),
            )
            await uow.outbox.mark_sent(outbox_id, f"silent-{week}", None, at=at)
    await terreau.command(MOD, "report", "week")
    [answer] = terreau.platform.sent[-1:]
    body = report_of(terreau, answer.post).variables
    assert (body["silent"], body["uses"]) == (["discussion/silent"], 3)
    # With `rest_silent_prompts`, the rotation rests it, and moderators are told.
    assert body["rested"] == (["discussion/silent"] if rest else [])


async def test_games_nobody_plays_are_flagged_to_moderators(
    terreau: Terreau, tmp_path: Path
) -> None:
    app = await terreau.start(extra=report_config(tmp_path))
    # Three months ago: three science rounds and three members' polls, nobody played.
    start = terreau.clock.now() - timedelta(days=90)
    async with app.database.transaction() as uow:
        for week in range(3):
            at = start + timedelta(weeks=week)
            round_id = await uow.games.start_round(
                app.community_id(KEY),
                "general",
                category="science",
                started_by=None,
                questions=[("science-001", {"category": "science"})],
                at=at,
            )
            [question] = await uow.games.questions_of(round_id)
            await uow.games.open_question(question.id, opened_at=at, closes_at=at)
            await uow.games.finish_round(round_id, at=at)
            await uow.games.add_poll(
                app.community_id(KEY),
                kind="poll",
                channel_id="general",
                question="Tea?",
                options=["tea", "coffee"],
                closes_at=None,
                at=at,
            )
    await terreau.command(MOD, "report", "week")
    [answer] = terreau.platform.sent[-1:]
    body = report_of(terreau, answer.post).variables
    own = terreau.catalog().text("report.posts.poll_kinds.own")
    assert (body["silent_trivia"], body["silent_polls"], body["uses"]) == (["science"], [own], 3)
    assert body["silent"] == []
