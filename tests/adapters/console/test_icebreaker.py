"""Breaking the ice through the console adapter: a welcome, its opt-out, an icebreaker."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable
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
from tests.fakes import PATIENCE, ManualClock, PromptLog, Rendered

pytestmark = [pytest.mark.console, pytest.mark.icebreaker]

PROMPTS = Prompts.load(Path(__file__).parents[3] / "prompts")
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris
KEY = "console:demo"
CONFIG = """
[console]
moderators = ["you"]

[[communities]]
platform = "console"
id = "demo"
name = "Demo"
timezone = "Europe/Paris"
channels = { general = "general" }

[communities.icebreaker]
enabled = true
max_invitees = 2

[communities.icebreaker.welcome]
delay_minutes = 5
"""


class Session:
    """A Terreau app whose only platform is a console fed line by line."""

    def __init__(
        self, app: App, feed: Feed, output: io.StringIO, clock: ManualClock, prompts: PromptLog
    ) -> None:
        self.app = app
        self.feed = feed
        self.output = output
        self.clock = clock
        self.prompts = prompts

    async def type(self, *lines: str, expect: str) -> None:
        """Type lines and wait until the console shows `expect` (not a prompt)."""
        self.feed.put(*lines)
        await self.until(lambda: _shown(self.output, expect))

    async def answer(self, *lines: str, key: str, **variables: object) -> Rendered:
        """Type lines and wait until the console shows the prompt `key` with `variables`."""
        self.feed.put(*lines)
        return await self.shown(key, **variables)

    async def shown(self, key: str, **variables: object) -> Rendered:
        """Wait until the console shows the prompt `key` with `variables`."""
        await self.until(
            lambda: self.prompts.shown_in(self.output.getvalue(), key, **variables) is not None
        )
        rendered = self.prompts.shown_in(self.output.getvalue(), key, **variables)
        assert rendered is not None
        return rendered

    async def advance(self, delta: timedelta) -> None:
        await self.clock.advance(delta)
        await self.app.scheduler.idle()

    async def until(self, condition: Callable[[], bool | Awaitable[bool]]) -> None:
        async with asyncio.timeout(PATIENCE):
            while True:
                result = condition()
                if result if isinstance(result, bool) else await result:
                    return
                await asyncio.sleep(0.005)


def _shown(output: io.StringIO, text: str) -> bool:
    return text in output.getvalue()


@contextlib.asynccontextmanager
async def console_terreau(tmp_path: Path, config: str = CONFIG) -> AsyncIterator[Session]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    settings = parse_settings(config, tmp_path / "terreau.toml")
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
        yield Session(app, feed, output, clock, prompts)
    finally:
        feed.close()
        await app.stop()


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    async with console_terreau(tmp_path) as started:
        yield started


async def test_a_console_newcomer_is_welcomed_and_can_opt_out_by_reaction(
    session: Session,
) -> None:
    await session.type("alice> hello", expect="alice: hello")
    session.feed.put("/join nina")
    await session.app.writer.flush()

    async def planned() -> bool:
        async with session.app.database.read() as uow:
            return await uow.icebreaker.welcome(session.app.community_id(KEY), "nina") is not None

    await session.until(planned)
    await session.advance(timedelta(minutes=10))
    welcome = await session.shown("icebreaker.welcome.text")
    assert welcome.variables["newcomer"].member_id == "nina"  # type: ignore[attr-defined]
    button = PROMPTS.catalog("en").text("icebreaker.welcome.button")
    assert f"[1] {button}" in session.output.getvalue()
    first = welcome.text.splitlines()[0]
    number = next(
        line.split()[0].lstrip("#")
        for line in session.output.getvalue().splitlines()
        if line.endswith(first)
    )

    session.feed.put(f"nina> /react {number} 🔕")

    async def opted_out() -> bool:
        async with session.app.database.read() as uow:
            return await uow.optouts.has(session.app.community_id(KEY), "nina", "tagging")

    await session.until(opted_out)


async def test_a_console_moderator_previews_and_posts_an_icebreaker(tmp_path: Path) -> None:
    without_welcomes = CONFIG.replace("delay_minutes = 5", "enabled = false")
    async with console_terreau(tmp_path, without_welcomes) as session:
        await session.type("quinn> hi all", "quentin> hello", expect="quentin: hello")
        preview = await session.answer("/terreau icebreaker preview", key="icebreaker.preview")
        assert preview.variables["chosen"]
        await session.answer("/terreau icebreaker now", key="icebreaker.now.posted")
        invitation = await session.shown("icebreaker.invitation")
        invited = [m.member_id for m in invitation.variables["invitees"]]  # type: ignore[attr-defined]
        assert sorted(invited) == ["quentin", "quinn"]


async def test_a_console_member_accepts_an_offer_to_host_and_the_ritual_credits_them(
    tmp_path: Path,
) -> None:
    config = CONFIG.replace("delay_minutes = 5", "enabled = false") + (
        '\n[[communities.posts.schedules]]\nname = "question"\nchannel = "general"\n'
        'cron = "30 9 * * *"\npool = "discussion"\n'
    )
    async with console_terreau(tmp_path, config) as session:
        await session.type("quinn> hi all", expect="quinn: hi all")
        await session.answer(
            "/terreau icebreaker offer quinn question", key="icebreaker.hosts.offered"
        )
        offer = await session.shown("icebreaker.hosts.offer.ritual")
        accept = PROMPTS.catalog("en").text("icebreaker.hosts.accept")
        assert f"[1] {accept}" in session.output.getvalue()
        first = offer.text.strip().splitlines()[0]
        number = next(
            line.split()[0].lstrip("#")
            for line in session.output.getvalue().splitlines()
            if line.endswith(first[-40:]) and line.split()[0].startswith("#")
        )

        await session.answer(
            f"quinn> /choose {number} 1", key="icebreaker.hosts.answer.accepted_ritual"
        )
        await session.advance(timedelta(minutes=30))
        credit = await session.shown("messages.posts.hosted_by")
        assert credit.variables["host"].member_id == "quinn"  # type: ignore[attr-defined]
