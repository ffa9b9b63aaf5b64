"""A whole member-of-the-month cycle typed into the console adapter, on a manual clock."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import App, create_app
from bot.config import parse_settings
from bot.prompts import Prompts
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.console.test_adapter import Feed
from tests.fakes import ManualClock, until

PROMPTS = Prompts.load(Path(__file__).parents[3] / "prompts")
CONFIG = """
[console]
moderators = ["you"]

[[communities]]
platform = "console"
id = "demo"
name = "Demo"
timezone = "Europe/Paris"
channels = { general = "general", moderators = "mods" }

[communities.election]
enabled = true
min_tenure_days = 0
method = "ranked"
winner_role = "member-of-the-month"
"""
START = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # a quiet Sunday


class Session:
    def __init__(self, app: App, clock: ManualClock, feed: Feed, output: io.StringIO) -> None:
        self.app, self.clock, self.feed, self.output = app, clock, feed, output

    async def type(self, *lines: str, until_seen: str) -> None:
        self.feed.put(*lines)
        try:
            await until(lambda: until_seen in self.output.getvalue())
        except TimeoutError:
            shown = self.output.getvalue()
            raise AssertionError(f"{until_seen!r} never shown in:\n{shown}") from None

    def number_of(self, pattern: str) -> int:
        found = re.findall(r"^#(\d+) [^\n]*" + pattern, self.output.getvalue(), re.MULTILINE)
        assert found, pattern
        return int(found[-1])


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    settings = parse_settings(CONFIG, tmp_path / "terreau.toml")
    clock = ManualClock(START)
    feed, output = Feed(), io.StringIO()
    community = settings.communities[0]
    adapter = ConsoleAdapter(
        community=community.community(),
        channels=community.channels,
        clock=clock,
        input=feed,
        output=output,
        moderators=settings.console.moderators,
        echo_input=True,
    )
    database = await Database.connect(url, clock=clock)
    app = await create_app(
        settings, database=database, prompts=PROMPTS, platforms={"console": adapter}, clock=clock
    )
    await app.start()
    try:
        yield Session(app, clock, feed, output)
    finally:
        feed.close()
        await app.stop()


async def test_a_ranked_election_in_the_console(session: Session) -> None:
    await session.type(
        "alice> hello everyone",
        "bob> hi alice",
        "carol> morning",
        "dan> hey",
        "you> welcome all",
        until_seen="you: welcome all",
    )
    await session.type("/terreau election start", until_seen="A new election is open")
    await session.type(
        "alice> /terreau election nominate @bob answers every question",
        "carol> /terreau election nominate @bob rewrote the docs",
        "bob> /terreau election nominate @carol runs the book club",
        "alice> /terreau election nominate @dan fixed the build",
        until_seen="You nominated dan.",
    )
    await session.type("/terreau election close", until_seen="Nominations are closed")
    ballot = session.number_of(r"Terreau: Member of the month: voting is open")
    assert "[1] bob   [2] carol   [3] dan   [4] Start over" in session.output.getvalue()

    # First choices: bob 1 (alice), carol 2 (bob, you), dan 1 (carol); no majority of 4.
    # bob and dan tie for last with no earlier round: both go, and the ballots ranking
    # only them are exhausted; carol wins with 2 of 2 live ballots. Dan's ballot was reset.
    await session.type(
        f"alice> /choose {ballot} 1", f"alice> /choose {ballot} 3", until_seen="1. bob, 2. dan"
    )
    await session.type(f"bob> /choose {ballot} 2", until_seen="(only bob sees)")
    await session.type(
        f"carol> /choose {ballot} 3",
        f"carol> /choose {ballot} 2",
        until_seen="You cannot vote for yourself",
    )
    await session.type(
        f"you> /choose {ballot} 2",
        until_seen="(only you see) Terreau: Your ranking so far: 1. carol",
    )
    await session.type(
        "dan> /terreau election vote", until_seen="(only dan sees) Terreau: Your secret ballot."
    )
    private = session.number_of(r"\(only dan sees\) Terreau: Your secret ballot")
    assert "[1] bob   [2] carol   [3] Start over" in session.output.getvalue()  # not himself
    await session.type(
        f"dan> /choose {private} 1",
        until_seen="(only dan sees) Terreau: Your ranking so far: 1. bob",
    )
    await session.type(
        f"dan> /choose {private} 3", until_seen="(only dan sees) Terreau: Your ranking is cleared"
    )
    await session.type(
        "alice> /terreau election receipt", until_seen="Your vote is counted: 1. bob, 2. dan"
    )

    await session.clock.advance(timedelta(days=4))
    await session.app.scheduler.idle()
    await session.type(until_seen="Member of the month (2026-11): @carol!")
    text = session.output.getvalue()
    assert "> runs the book club" in text
    assert "Thank you to every nominee: bob, carol, dan." in text
    assert "4 members voted (80% of the 5 who could)." in text
    assert "role member-of-the-month: given to carol" in text


async def test_an_apostrophe_in_a_reason_is_just_text(session: Session) -> None:
    await session.type("alice> hello everyone", "bob> hi alice", until_seen="bob: hi alice")
    await session.type("/terreau election start", until_seen="(only you see)")
    await session.type(
        "alice> /terreau election nominate @bob she's always there",
        until_seen="(only alice sees)",
    )
    assert "error:" not in session.output.getvalue()
    community_id = session.app.community_id("console:demo")
    async with session.app.database.read() as uow:
        election = await uow.elections.running(community_id)
        assert election is not None
        nominations = await uow.elections.nominations(election.id)
    assert [(n.nominee_id, n.reason) for n in nominations] == [("bob", "she's always there")]
