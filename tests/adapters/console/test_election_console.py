"""A whole member-of-the-month cycle typed into the console adapter, on a manual clock."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from adapters.console import ConsoleAdapter
from bot.app import App, create_app
from bot.config import parse_settings
from bot.prompts import Prompts
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.console.test_adapter import Feed
from tests.fakes import ManualClock, PromptLog, Rendered, until

pytestmark = [pytest.mark.console, pytest.mark.election]

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
    def __init__(
        self, app: App, clock: ManualClock, feed: Feed, output: io.StringIO, prompts: PromptLog
    ) -> None:
        self.app, self.clock, self.feed, self.output = app, clock, feed, output
        self.prompts = prompts

    async def type(self, *lines: str, until_seen: str) -> None:
        """Type `lines`, then wait for the console to show `until_seen` (not a prompt)."""
        self.feed.put(*lines)
        try:
            await until(lambda: until_seen in self.output.getvalue())
        except TimeoutError:
            shown = self.output.getvalue()
            raise AssertionError(f"{until_seen!r} never shown in:\n{shown}") from None

    async def answer(self, *lines: str, key: str, **variables: object) -> Shown:
        """Type `lines`, then wait for the console to show the prompt `key` with `variables`."""
        mark = len(self.output.getvalue())
        self.feed.put(*lines)
        return await self.shown(key, after=mark, **variables)

    async def shown(self, key: str, *, after: int = 0, **variables: object) -> Shown:
        """Wait for the console to show the prompt `key` with `variables` (after `after`)."""

        def found() -> Rendered | None:
            return self.prompts.shown_in(self.output.getvalue()[after:], key, **variables)

        try:
            await until(lambda: found() is not None)
        except TimeoutError:
            shown = self.output.getvalue()[after:]
            raise AssertionError(f"{key} {variables} never shown in:\n{shown}") from None
        rendered = found()
        assert rendered is not None
        first = rendered.text.splitlines()[0]
        headers = re.findall(r"^#\d+ [^\n]*", self.output.getvalue()[after:], re.MULTILINE)
        [line, *_] = [line for line in headers if line.endswith(first)]
        return Shown(rendered, line, int(line.split()[0].lstrip("#")))


class Shown(NamedTuple):
    """A prompt the console showed: what was rendered, the message's first line, its number."""

    rendered: Rendered
    line: str
    number: int


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
        yield Session(app, clock, feed, output, prompts)
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
    await session.answer("/terreau election start", key="election.started")
    await session.answer(
        "alice> /terreau election nominate @bob answers every question",
        "carol> /terreau election nominate @bob rewrote the docs",
        "bob> /terreau election nominate @carol runs the book club",
        "alice> /terreau election nominate @dan fixed the build",
        key="election.nominated",
        nominee="dan",
    )
    await session.answer("/terreau election close", key="election.closed_early.nominating")
    ballot = (await session.shown("election.posts.voting_open")).number
    start_over = PROMPTS.catalog("en").text("election.ballot.reset_label")
    assert f"[1] bob   [2] carol   [3] dan   [4] {start_over}" in session.output.getvalue()

    # First choices: bob 1 (alice), carol 2 (bob, you), dan 1 (carol); no majority of 4.
    # bob and dan tie for last with no earlier round: both go, and the ballots ranking
    # only them are exhausted; carol wins with 2 of 2 live ballots. Dan's ballot was reset.
    ranked = "election.ballot.ranked"
    await session.answer(
        f"alice> /choose {ballot} 1",
        f"alice> /choose {ballot} 3",
        key=ranked,
        ranking=["bob", "dan"],
    )
    await session.type(f"bob> /choose {ballot} 2", until_seen="(only bob sees)")
    await session.answer(
        f"carol> /choose {ballot} 3", f"carol> /choose {ballot} 2", key="election.refuse.self_vote"
    )
    mine = await session.answer(f"you> /choose {ballot} 2", key=ranked, ranking=["carol"])
    assert "(only you see)" in mine.line
    secret = await session.answer("dan> /terreau election vote", key="election.ballot.private")
    assert "(only dan sees)" in secret.line
    private = secret.number
    assert f"[1] bob   [2] carol   [3] {start_over}" in session.output.getvalue()  # not himself
    chosen = await session.answer(f"dan> /choose {private} 1", key=ranked, ranking=["bob"])
    assert "(only dan sees)" in chosen.line
    cleared = await session.answer(f"dan> /choose {private} 3", key=ranked, ranking=[])
    assert "(only dan sees)" in cleared.line
    await session.answer(
        "alice> /terreau election receipt", key="election.receipt.counted", ranking=["bob", "dan"]
    )

    await session.clock.advance(timedelta(days=4))
    await session.app.scheduler.idle()
    result = (await session.shown("election.posts.result", period="2026-11")).rendered
    winners = result.variables["winners"]
    assert [winner.display_name for winner in winners] == ["carol"]  # type: ignore[attr-defined]
    assert result.variables["reasons"] == ["runs the book club"]
    assert result.variables["nominees"] == ["bob", "carol", "dan"]
    assert (result.variables["ballots"], result.variables["eligible"]) == (4, 5)
    await session.type(until_seen="role member-of-the-month: given to carol")


async def test_an_apostrophe_in_a_reason_is_just_text(session: Session) -> None:
    await session.type("alice> hello everyone", "bob> hi alice", until_seen="bob: hi alice")
    await session.answer("/terreau election start", key="election.started")
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
