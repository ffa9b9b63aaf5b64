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
from tests.fakes import ManualClock, PromptLog, Rendered, until

pytestmark = [pytest.mark.console, pytest.mark.games]

ROOT = Path(__file__).parents[3]
PROMPTS = Prompts.load(ROOT / "prompts")
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

    def __init__(
        self, app: App, feed: Feed, output: io.StringIO, clock: ManualClock, prompts: PromptLog
    ) -> None:
        self.app = app
        self.feed = feed
        self.output = output
        self.clock = clock
        self.prompts = prompts

    async def type(self, line: str, key: str, **variables: object) -> Rendered:
        """Type a line and return the prompt `key` (with `variables`) once the console shows it."""
        mark = len(self.output.getvalue())
        self.feed.put(line)
        return await self.shown(mark, key, **variables)

    async def at(self, moment: datetime, key: str, **variables: object) -> Rendered:
        """Move the clock and return the prompt `key` once the console shows it."""
        mark = len(self.output.getvalue())
        await self.clock.set(moment)
        await self.app.scheduler.idle()
        return await self.shown(mark, key, **variables)

    async def shown(self, mark: int, key: str, **variables: object) -> Rendered:
        def found() -> Rendered | None:
            return self.prompts.shown_in(self.output.getvalue()[mark:], key, **variables)

        await until(lambda: found() is not None)
        rendered = found()
        assert rendered is not None
        return rendered

    def line_of(self, rendered: Rendered) -> str:
        """The header line of the last console message showing `rendered`."""
        first = rendered.text.splitlines()[0]
        [*_, line] = [
            line
            for line in re.findall(r"^#\d+ [^\n]*", self.output.getvalue(), re.MULTILINE)
            if line.endswith(first)
        ]
        return line

    def number_of(self, rendered: Rendered) -> int:
        return int(self.line_of(rendered).split()[0].lstrip("#"))


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
    prompts = PromptLog(PROMPTS)
    app = await create_app(
        settings,
        database=database,
        prompts=prompts,  # type: ignore[arg-type]
        platforms={"console": adapter},
        clock=clock,
    )
    await app.start()
    try:
        yield Session(app, feed, output, clock, prompts)
    finally:
        feed.close()
        await app.stop()


async def test_a_trivia_round_in_the_console(session: Session) -> None:
    asked = await session.type(
        "alice> /terreau game trivia fixtures 1", "games.trivia.question", number=1, total=1
    )
    await until(lambda: "[1]" in session.output.getvalue())
    question = session.number_of(asked)
    choices = re.findall(r"\[(\d)\] (\w+)", session.output.getvalue())
    answers = {"Which of these is a fruit?": "Apple", "How many legs has a spider?": "Eight"}
    right = answers[str(asked.variables["question"])]
    index = next(number for number, label in choices if label == right)
    taken = await session.type(f"bob> /choose {question} {index}", "games.trivia.answer_taken")
    assert "(only bob sees)" in session.line_of(taken)
    again = await session.type(f"bob> /choose {question} {index}", "games.trivia.already_answered")
    assert "(only bob sees)" in session.line_of(again)
    await session.at(START + timedelta(minutes=2), "games.trivia.reveal", number=1, answer=right)
    standings = [{"rank": 1, "name": "bob", "points": 15}]
    await session.shown(0, "games.trivia.summary", standings=standings)


async def test_a_poll_in_the_console(session: Session) -> None:
    posted = await session.type(
        '/terreau game poll "Tea or coffee?" Tea | Coffee', "games.poll.post"
    )
    await until(lambda: "[2] Coffee" in session.output.getvalue())
    poll = session.number_of(posted)
    voted = await session.type(f"alice> /choose {poll} 2", "games.poll.voted", choice="Coffee")
    assert "(only alice sees)" in session.line_of(voted)
    results = await session.at(START + timedelta(hours=1, minutes=1), "games.poll.results")
    rows = {row["label"]: (row["count"], row["percent"]) for row in results.variables["rows"]}  # type: ignore[attr-defined]
    assert rows["Coffee"] == (1, 100)
