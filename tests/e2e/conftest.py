"""A whole Terreau on SQLite, a fake platform and a manual clock."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, create_app
from bot.config import parse_settings
from bot.domain import ChoiceMade, CommandInvoked, Event, Member, MessagePosted, Post
from bot.prompts import Catalog, Prompts
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.fakes import FakePlatform, ManualClock, PromptLog

PROMPTS = Prompts.load(Path(__file__).parents[2] / "prompts")

CONFIG = """
export_dir = "{exports}"

[[communities]]
platform = "console"
id = "demo"
name = "Demo"
timezone = "Europe/Paris"
channels = {{ general = "general", moderators = "mods" }}

[communities.posts]
dead_channel_after = {dead_after}
rest_silent_prompts = {rest}

[[communities.posts.schedules]]
name = "question"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
thread = {thread}
grace_minutes = 120
"""

KEY = "console:demo"
MOD = Member(id="mod", display_name="Mo", is_admin=True)
ALICE = Member(id="alice", display_name="Alice")
_ids = itertools.count(1)

# Monday 23 November 2026, 08:59 in Paris (UTC+1).
BEFORE = datetime(2026, 11, 23, 7, 59, tzinfo=UTC)
AT_NINE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Terreau:
    """Starts and restarts apps on one database, as an operator would."""

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path
        self.app: App | None = None
        self.platform_type: type[FakePlatform] = FakePlatform
        self.platform = self.platform_type(name="console")
        self.clock = ManualClock(BEFORE)
        self.prompts = PromptLog(PROMPTS)

    async def start(
        self, *, dead_after: int = 3, thread: bool = False, rest: bool = False, extra: str = ""
    ) -> App:
        """Start an app; `extra` is TOML appended to the community (e.g. `[communities.games]`)."""
        settings = parse_settings(
            CONFIG.format(
                dead_after=dead_after,
                rest=str(rest).lower(),
                thread=str(thread).lower(),
                exports=self.path / "exports",
            )
            + extra,
            self.path / "terreau.toml",
        )
        database = await Database.connect(self.url, clock=self.clock)
        self.platform = self.platform_type(name="console")
        try:
            self.app = await create_app(
                settings,
                database=database,
                prompts=self.prompts,  # type: ignore[arg-type]
                platforms={"console": self.platform},
                clock=self.clock,
            )
        except BaseException:
            await database.close()
            raise
        await self.app.start()  # `stop` closes it, even if this fails
        await self.app.scheduler.idle()
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def at(self, moment: datetime) -> None:
        await self.clock.set(moment)
        assert self.app is not None
        await self.app.scheduler.idle()

    async def say(self, member: Member, **fields: object) -> None:
        assert self.platform.sink is not None
        event = MessagePosted(
            event_id=f"e{next(_ids)}",
            community=KEY,
            occurred_at=self.clock.now(),
            member=member,
            channel_id=str(fields.pop("channel_id", "general")),
            message_id=f"u{next(_ids)}",
            **fields,  # type: ignore[arg-type]
        )
        await self.platform.sink(event)

    async def command(self, member: Member, group: str, action: str, *args: str) -> None:
        assert self.platform.sink is not None
        await self.platform.sink(
            CommandInvoked(
                event_id=f"e{next(_ids)}",
                community=KEY,
                occurred_at=self.clock.now(),
                member=member,
                channel_id="general",
                group=group,
                action=action,
                args=args,
            )
        )

    async def choose(self, member: Member, choice_id: str, *, message_id: str = "m1") -> None:
        """Click the button `choice_id` as `member`."""
        await self.deliver(
            ChoiceMade(
                event_id=f"e{next(_ids)}",
                community=KEY,
                occurred_at=self.clock.now(),
                member=member,
                channel_id="general",
                message_id=message_id,
                choice_id=choice_id,
                interaction_id=f"i{next(_ids)}",
            )
        )

    def catalog(self) -> Catalog:
        """The community's prompts, to render what a test expects (not noted in the log)."""
        assert self.app is not None
        return PROMPTS.catalog(self.app.communities[KEY].language)

    def answers(self, member: Member) -> list[Post]:
        """Every private answer `member` got, oldest first."""
        return [
            item.post
            for item in self.platform.sent
            if item.kind == "respond" and item.member_id == member.id
        ]

    def said(self, post: Post) -> str:
        """The key of the prompt a post is."""
        return self.prompts.key(post)

    async def deliver(self, event: Event) -> None:
        """Hand any domain event to the app, as an adapter would."""
        assert self.platform.sink is not None
        await self.platform.sink(event)


def next_id(prefix: str = "e") -> str:
    """Return a fresh id for an event or message in a test."""
    return f"{prefix}{next(_ids)}"


@pytest.fixture
async def terreau(tmp_path: Path) -> AsyncIterator[Terreau]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    bot = Terreau(url, tmp_path)
    try:
        yield bot
    finally:
        await bot.stop()
