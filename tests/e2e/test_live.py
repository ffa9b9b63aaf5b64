"""Live sessions end to end: scheduled, reminded, questions upvoted and taken, summed up, data."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain import ChoiceMade, Member, Post
from bot.features._board import vote_id
from bot.features.live import interested_id
from bot.features.privacy._commands import CONFIRM
from bot.ports import Forbidden, Unsupported
from tests.e2e.conftest import KEY, MOD, Terreau, next_id
from tests.e2e.test_privacy import kept, read_json
from tests.prompt_samples import HOSTILE

pytestmark = pytest.mark.live

ALICE = Member(id="alice", display_name="Alice")
BOB = Member(id="bob", display_name="Bob")
CAROL = Member(id="carol", display_name="Carol")
DAN = Member(id="dan", display_name="Dan")

LIVE = """
[communities.live]
enabled = true
remind_minutes = 15
"""

# The session: Monday 23 November 2026, 18:00 to 18:30 in Paris (17:00 UTC).
START = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)


async def begin(terreau: Terreau, extra: str = LIVE) -> None:
    await terreau.start(extra=extra)
    terreau.platform.members[KEY] = {m.id: m for m in (ALICE, BOB, CAROL, DAN, MOD)}
    for member in (ALICE, BOB, CAROL, MOD):
        await terreau.say(member, text="hello")


def said(terreau: Terreau, member: Member) -> tuple[str, dict[str, object]]:
    """The prompt of `member`'s last private answer, and its variables."""
    rendered = terreau.prompts.of(terreau.answers(member)[-1])
    return rendered.key, dict(rendered.variables)


def posts(terreau: Terreau, key: str) -> list[Post]:
    shown = terreau.prompts.posts(terreau.platform.posts(), f"live.posts.{key}")
    return [post for post in shown if terreau.said(post) == f"live.posts.{key}"]


def directs(terreau: Terreau, member: Member, key: str) -> list[Post]:
    return [
        item.post
        for item in terreau.platform.sent
        if item.kind == "direct"
        and item.member_id == member.id
        and terreau.said(item.post) == f"live.posts.{key}"
    ]


async def schedule(terreau: Terreau) -> int:
    await terreau.command(MOD, "live", "schedule", "Ask the founders", "18:00", "30", "@alice")
    key, variables = said(terreau, MOD)
    assert key == "live.scheduled", variables
    return int(str(variables["session"]))


async def ask(terreau: Terreau, member: Member, text: str, *, anonymous: bool = False) -> int:
    await terreau.command(member, "live", "anonymous" if anonymous else "ask", text)
    key, variables = said(terreau, member)
    assert key == "live.asked", (key, variables)
    return int(str(variables["number"]))


async def test_a_session_from_announcement_to_summary(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(DAN, "me", "optout")
    session = await schedule(terreau)

    [announced] = posts(terreau, "announced")
    assert [c.id for c in announced.choices] == [interested_id(session)]
    assert {m.member_id for m in announced.mentions} == {"alice"}
    [event] = terreau.platform.events
    assert (event.starts_at, event.ends_at, event.voice_channel_id) == (START, END, None)
    assert event.title == "Ask the founders" and event.location

    await terreau.choose(BOB, interested_id(session))
    assert said(terreau, BOB)[0] == "live.interested"
    await terreau.choose(BOB, interested_id(session))
    assert said(terreau, BOB)[0] == "live.already_interested"
    await terreau.choose(DAN, interested_id(session))
    assert said(terreau, DAN)[1]["reminder"] is False

    await terreau.command(BOB, "live", "ask", "too early?")
    assert said(terreau, BOB)[0] == "live.refuse.none_open"
    await terreau.command(BOB, "live", "queue")  # nothing is open yet, for hosts or not
    assert said(terreau, BOB)[0] == "live.refuse.none_open"

    await terreau.at(START - timedelta(minutes=15))
    assert len(directs(terreau, BOB, "reminder")) == 1
    assert directs(terreau, DAN, "reminder") == []  # Dan closed his direct messages
    await terreau.at(START - timedelta(minutes=10))
    assert len(directs(terreau, BOB, "reminder")) == 1

    await terreau.at(START)
    [started] = posts(terreau, "started")
    first = await ask(terreau, BOB, "How do you choose what to build next?")
    second = await ask(terreau, CAROL, HOSTILE, anonymous=True)
    questions = posts(terreau, "question")
    assert [q.choices[0].id for q in questions] == [
        vote_id("live", session, first),
        vote_id("live", session, second),
    ]
    # The anonymous question names nobody, whatever its text pretends.
    assert questions[1].mentions == ()
    assert terreau.prompts.of(questions[1]).variables["question"] == HOSTILE

    await terreau.choose(CAROL, vote_id("live", session, first))
    assert said(terreau, CAROL)[0] == "live.voted"
    await terreau.choose(CAROL, vote_id("live", session, first))
    assert said(terreau, CAROL)[0] == "live.already_voted"
    await terreau.choose(BOB, vote_id("live", session, first))
    assert said(terreau, BOB)[0] == "live.own_item"
    for question in (first, second):
        await terreau.choose(MOD, vote_id("live", session, question))

    await terreau.command(BOB, "live", "queue")
    assert said(terreau, BOB)[0] == "live.refuse.hosts_only"
    await terreau.command(ALICE, "live", "queue")
    key, variables = said(terreau, ALICE)
    assert key == "live.queue" and terreau.platform.sent[-1].private
    queue = variables["questions"]
    assert isinstance(queue, list)
    assert [(q["number"], q["points"]) for q in queue] == [(first, 2), (second, 1)]
    assert queue[1]["author"] is None  # anonymous to the host too

    await terreau.command(ALICE, "live", "next")
    await terreau.command(ALICE, "live", "next")
    answering = posts(terreau, "answering")
    assert [terreau.prompts.of(p).variables["question"]["number"] for p in answering] == [  # type: ignore[index]
        first,
        second,
    ]
    third = await ask(terreau, BOB, "What is next?")
    await terreau.command(ALICE, "live", "merge", str(third), str(first))
    assert said(terreau, ALICE)[0] == "live.refuse.not_open"  # the first is answered
    await terreau.command(ALICE, "live", "merge", str(third), str(second))
    assert said(terreau, ALICE)[0] == "live.merged"

    await terreau.at(END)
    [summary] = posts(terreau, "summary")
    assert terreau.prompts.of(summary).variables == {
        "title": "Ask the founders",
        "asked": 2,
        "answered": 2,  # the second was being answered when time ran out
        "left": 0,
        "participants": 3,
    }
    [followup] = directs(terreau, ALICE, "followup")
    assert terreau.prompts.of(followup).variables["questions"] == []
    await terreau.command(BOB, "live", "ask", "late")
    assert said(terreau, BOB)[0] == "live.refuse.none_open"
    assert started is not None


async def test_a_restart_mid_session_still_ends_it_once(terreau: Terreau) -> None:
    await begin(terreau)
    session = await schedule(terreau)
    await terreau.at(START + timedelta(minutes=5))
    number = await ask(terreau, BOB, "still there?")
    await terreau.stop()

    await terreau.clock.set(END + timedelta(hours=2))  # Terreau was down at the end
    await begin(terreau)
    [summary] = posts(terreau, "summary")
    assert terreau.prompts.of(summary).variables["left"] == 1
    await terreau.at(END + timedelta(hours=3))
    assert len(posts(terreau, "summary")) == 1
    await terreau.choose(CAROL, vote_id("live", session, number))
    assert said(terreau, CAROL)[0] == "live.votes_closed"


async def test_duplicate_and_simultaneous_votes_count_once(terreau: Terreau) -> None:
    await begin(terreau)
    session = await schedule(terreau)
    await terreau.at(START)
    number = await ask(terreau, BOB, "one?")
    click = ChoiceMade(
        event_id=next_id(),
        community=KEY,
        occurred_at=terreau.clock.now(),
        member=CAROL,
        channel_id="general",
        message_id="m1",
        choice_id=vote_id("live", session, number),
        interaction_id=next_id("i"),
    )
    await terreau.deliver(click)
    await terreau.deliver(click)  # the platform redelivered it
    await asyncio.gather(
        *(
            terreau.choose(member, vote_id("live", session, number))
            for member in (CAROL, CAROL, MOD)
        )
    )
    await terreau.command(ALICE, "live", "queue")
    queue = said(terreau, ALICE)[1]["questions"]
    assert isinstance(queue, list) and queue[0]["points"] == 2


async def test_a_configured_schedule_is_announced_once_ahead(terreau: Terreau) -> None:
    weekly = (
        LIVE
        + """
[[communities.live.schedules]]
name = "founders"
title = "Founders' hour"
cron = "0 18 * * 1"
minutes = 45
hosts = ["alice", "bob"]
"""
    )
    await begin(terreau, weekly)
    await terreau.at(terreau.clock.now() + timedelta(minutes=2))
    [announced] = posts(terreau, "announced")
    assert terreau.prompts.of(announced).variables["title"] == "Founders' hour"
    await terreau.stop()
    await begin(terreau, weekly)
    await terreau.at(terreau.clock.now() + timedelta(minutes=2))
    assert len(posts(terreau, "announced")) == 0  # the new process posted nothing again
    await terreau.at(START + timedelta(minutes=1))
    await terreau.command(BOB, "live", "queue")
    assert said(terreau, BOB)[0] == "live.queue"  # a configured host


async def test_no_calendar_is_no_failure(terreau: Terreau) -> None:
    await begin(terreau)
    terreau.platform.events_refused = Unsupported("no calendar")
    await schedule(terreau)
    assert len(posts(terreau, "announced")) == 1 and terreau.platform.events == []


async def test_a_members_questions_and_upvotes_are_listed_exported_and_erased(
    terreau: Terreau,
) -> None:
    await begin(terreau)
    session = await schedule(terreau)
    await terreau.choose(BOB, interested_id(session))
    await terreau.at(START)
    mine = await ask(terreau, BOB, "mine")
    theirs = await ask(terreau, CAROL, "theirs")
    await terreau.choose(BOB, vote_id("live", session, theirs))
    await terreau.choose(CAROL, vote_id("live", session, mine))

    await terreau.command(BOB, "me", "data")
    assert {k: v for k, v in kept(terreau).items() if k.startswith("live_")} == {
        "live_questions": 1,
        "live_upvotes": 1,
        "live_attendance": 1,
    }
    await terreau.command(BOB, "me", "export")
    path = terreau.platform.posts("respond")[-1].file_path
    assert path is not None
    data = read_json(Path(path))["data"]
    assert isinstance(data, dict) and data["live_questions"][0]["text"] == "mine"
    await terreau.command(BOB, "me", "forget")
    await terreau.choose(BOB, CONFIRM)
    await terreau.command(BOB, "me", "data")
    assert not any(v for k, v in kept(terreau).items() if k.startswith("live_"))
    await terreau.command(ALICE, "live", "queue")
    queue = said(terreau, ALICE)[1]["questions"]
    assert isinstance(queue, list)
    assert [(q["number"], q["points"]) for q in queue] == [(theirs, 0)]


async def test_live_sessions_are_off_unless_enabled(terreau: Terreau) -> None:
    await begin(terreau, extra="")
    await terreau.command(BOB, "live", "ask", "anyone?")
    assert said(terreau, BOB)[0] == "live.refuse.disabled"


async def test_a_host_who_is_not_a_member_here_is_refused_by_name(terreau: Terreau) -> None:
    await begin(terreau)
    await terreau.command(MOD, "live", "schedule", "Ask the founders", "18:00", "30", "@nobody")
    assert said(terreau, MOD)[0] == "live.refuse.unknown_host"
    assert said(terreau, MOD)[1]["who"] == "nobody"
    await terreau.command(
        MOD, "live", "schedule", "Ask the founders", "18:00", "30", "@alice", "@ghost"
    )
    assert said(terreau, MOD)[1]["who"] == "ghost"
    assert posts(terreau, "announced") == [] and terreau.platform.events == []


async def test_a_session_overlapping_another_in_its_channel_is_refused(terreau: Terreau) -> None:
    await begin(terreau)
    first = await schedule(terreau)
    await terreau.command(MOD, "live", "schedule", "Office hours", "18:15", "30", "@bob")
    key, variables = said(terreau, MOD)
    assert key == "live.refuse.overlap"
    assert (variables["session"], variables["title"]) == (first, "Ask the founders")
    assert len(posts(terreau, "announced")) == 1
    await terreau.command(MOD, "live", "schedule", "Office hours", "18:30", "30", "@bob")
    assert said(terreau, MOD)[0] == "live.scheduled"  # right after it ends


async def test_a_cancelled_session_is_taken_off_the_calendar(terreau: Terreau) -> None:
    await begin(terreau)
    session = await schedule(terreau)

    await terreau.command(MOD, "live", "cancel", str(session))

    assert said(terreau, MOD)[0] == "live.cancelled"
    assert len(posts(terreau, "cancelled")) == 1
    assert terreau.platform.cancelled_events == ["event1"]


async def test_a_calendar_that_refuses_the_cancel_leaves_the_session_cancelled(
    terreau: Terreau, caplog: pytest.LogCaptureFixture
) -> None:
    await begin(terreau)
    session = await schedule(terreau)
    terreau.platform.events_refused = Forbidden("Missing Permissions")

    await terreau.command(MOD, "live", "cancel", str(session))

    assert said(terreau, MOD)[0] == "live.cancelled"
    assert len(posts(terreau, "cancelled")) == 1
    [warning] = [r for r in caplog.records if "calendar event event1" in r.getMessage()]
    assert warning.levelname == "WARNING" and "by hand" in warning.getMessage()
