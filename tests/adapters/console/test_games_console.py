"""Games through the console adapter: a trivia round and a poll, typed line by line."""

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

ROOT = Path(__file__).parents[3]
CONTENT = ROOT / "tests" / "games_content"
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Paris
CONFIG = f"""
[console]
moderators = ["you"]

[[communities]]
platform = "console"
id = "demo"
name = "Demo"
timezone = "Europe/Paris"
channels = {{ general = "general" }}

[communities.games]
channel = "general"
trivia_dirs = ["{CONTENT / "trivia"}"]
"""


class Session:
    """An app served by the console adapter, fed lines by the test."""

    def __init__(self, app: App, feed: Feed, output: io.StringIO, clock: ManualClock) -> None:
        self.app = app
        self.feed = feed
        self.output = output
        self.clock = clock

    async def type(self, line: str, expect: str) -> str:
        """Type a line and return the output once `expect` has appeared after it."""
        mark = len(self.output.getvalue())
        self.feed.put(line)
        await until(lambda: expect in self.output.getvalue()[mark:])
        return self.output.getvalue()[mark:]

    async def at(self, moment: datetime, expect: str) -> str:
        mark = len(self.output.getvalue())
        await self.clock.set(moment)
        await self.app.scheduler.idle()
        await until(lambda: expect in self.output.getvalue()[mark:])
        return self.output.getvalue()[mark:]


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    settings = parse_settings(CONFIG, tmp_path / "terreau.toml")
    [community] = settings.communities
    clock = ManualClock(START)
    feed = Feed()
    output = io.StringIO()
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
        settings,
        database=database,
        prompts=Prompts.load(ROOT / "prompts"),
        platforms={"console": adapter},
        clock=clock,
    )
    await app.start()
    try:
        yield Session(app, feed, output, clock)
    finally:
        feed.close()
        await app.stop()


def numbered(output: str, text: str) -> int:
    """Return the number the console gave the message containing `text`."""
    for block in re.split(r"^(?=#\d+ )", output, flags=re.MULTILINE):
        number = re.match(r"#(\d+) ", block)
        if number is not None and text in block:
            return int(number.group(1))
    raise AssertionError(f"no numbered message with {text!r} in:\n{output}")


async def test_a_trivia_round_in_the_console(session: Session) -> None:
    shown = await session.type("alice> /terreau game trivia fixtures 1", "[1]")
    question = numbered(shown, "Question 1/1")
    choices = re.findall(r"\[(\d)\] (\w+)", shown)
    answers = {"Which of these is a fruit?": "Apple", "How many legs has a spider?": "Eight"}
    right = next(answers[q] for q in answers if q in shown)
    index = next(number for number, label in choices if label == right)
    taken = await session.type(f"bob> /choose {question} {index}", "is in")
    assert "(only bob sees)" in taken
    again = await session.type(f"bob> /choose {question} {index}", "one answer per person")
    assert "(only bob sees)" in again
    ended = await session.at(START + timedelta(minutes=2), "End of the round")
    assert f"Answer 1: {right}" in ended
    assert "1. bob: 15 points" in ended


async def test_a_poll_in_the_console(session: Session) -> None:
    shown = await session.type('/terreau game poll "Tea or coffee?" Tea | Coffee', "[2] Coffee")
    poll = numbered(shown, "Tea or coffee?")
    voted = await session.type(f"alice> /choose {poll} 2", "You chose")
    assert "(only alice sees)" in voted
    results = await session.at(START + timedelta(hours=1, minutes=1), "Results")
    assert "Coffee: 1 (100%)" in results
