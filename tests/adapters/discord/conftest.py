"""A fake Discord server, and a whole Terreau whose Discord adapter logs into it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.app import App, create_app
from bot.commands import CommandRegistry
from bot.config import Settings, parse_settings
from bot.domain import BotAdded, BotRemoved
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.fakes import ManualClock

PROMPTS_DIR = Path(__file__).parents[3] / "prompts"
GUILD = "1187654321098765432"
GENERAL = "1187654321098765500"
THREAD = "1187654321098765600"
MOD_ROLE = "1187654321098765700"
KEY = f"discord:{GUILD}"
START = datetime(2026, 11, 23, 7, 59, tzinfo=UTC)

CONFIG = """
[discord]
api_base = "{api_base}"
gateway_url = "{gateway_url}"
members_intent = {members}
message_content = {content}
{shards}

[[communities]]
platform = "discord"
id = "{guild}"
name = "Les Jardiniers"
language = "fr"
timezone = "Europe/Paris"
moderator_roles = ["{mod_role}"]
channels = {{ general = "{general}"{channels} }}

[[communities.posts.schedules]]
name = "question"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
"""


def discord_config(
    server: FakeDiscord,
    *,
    members: bool = True,
    content: bool = False,
    shards: str = "",
    channels: str = "",
) -> str:
    """Return the config text of a Terreau serving the guild through `server`.

    `channels` adds purposes to the community's channels (`, stage = "123"`).
    """
    return CONFIG.format(
        channels=channels,
        shards=shards,
        api_base=server.api_base,
        gateway_url=server.gateway_url,
        members=str(members).lower(),
        content=str(content).lower(),
        guild=GUILD,
        mod_role=MOD_ROLE,
        general=GENERAL,
    )


def discord_settings(
    server: FakeDiscord,
    path: Path,
    *,
    members: bool = True,
    content: bool = False,
    shards: str = "",
    extra: str = "",
    channels: str = "",
) -> Settings:
    """Return settings serving the guild through `server`; `extra` TOML goes to the community."""
    text = discord_config(
        server, members=members, content=content, shards=shards, channels=channels
    )
    return parse_settings(text + extra, path / "terreau.toml")


@pytest.fixture
async def server() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


class Running:
    """A Terreau app on SQLite whose only platform is the Discord adapter."""

    def __init__(self, server: FakeDiscord, path: Path) -> None:
        self.server = server
        self.path = path
        self.clock = ManualClock(START)
        self.app: App | None = None
        self.adapter: DiscordAdapter | None = None
        self.presence: list[BotAdded | BotRemoved] = []

    async def start(self, **flags: Any) -> App:
        from bot.prompts import Prompts

        url = f"sqlite+aiosqlite:///{self.path / 'terreau.db'}"
        await upgrade(url)
        settings = discord_settings(self.server, self.path, **flags)
        prompts = Prompts.load(PROMPTS_DIR)
        commands = CommandRegistry()
        self.adapter = DiscordAdapter(
            token="fake.bot.token",
            settings=settings.discord,
            communities=settings.communities,
            commands=commands,
            prompts=prompts,
            clock=self.clock,
            guild_ready_timeout=0.01,
        )
        database = await Database.connect(url, clock=self.clock)
        try:
            self.app = await create_app(
                settings,
                database=database,
                prompts=prompts,
                platforms={"discord": self.adapter},
                clock=self.clock,
                commands=commands,
            )
        except BaseException:
            await database.close()
            raise
        # Subscribed after the features, so this runs once they have handled the event.
        self.app.dispatcher.subscribe(BotAdded, self._presence)
        self.app.dispatcher.subscribe(BotRemoved, self._presence)
        try:
            await self.app.start()
        except BaseException:
            await self.app.stop()
            self.app = None
            raise
        return self.app

    async def _presence(self, event: BotAdded | BotRemoved) -> None:
        self.presence.append(event)

    async def left_at(self) -> datetime | None:
        """Return when the community was recorded as left, as the database holds it."""
        assert self.app is not None
        async with self.app.database.read() as uow:
            community = await uow.communities.get(KEY)
        assert community is not None
        return community.left_at

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None


@pytest.fixture
async def running(server: FakeDiscord, tmp_path: Path) -> AsyncIterator[Running]:
    bot = Running(server, tmp_path)
    try:
        yield bot
    finally:
        await bot.stop()
