"""Gateway sessions in the metrics, and readiness, with the real adapter on the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.discord import DiscordAdapter
from bot.app import App, create_app
from bot.commands import CommandRegistry
from bot.observability import Metrics
from bot.prompts import Prompts
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.discord.conftest import PROMPTS_DIR, START, discord_settings
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.fakes import ManualClock, until

pytestmark = [pytest.mark.discord, pytest.mark.ops]


def sessions(metrics: Metrics, kind: str) -> float:
    text = metrics.exposition().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "terreau_gateway_sessions_total" and sample.labels == {
                "platform": "discord",
                "kind": kind,
            }:
                return sample.value
    return 0.0


@pytest.fixture
async def observed(server: FakeDiscord, tmp_path: Path) -> AsyncIterator[tuple[App, Metrics]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    settings = discord_settings(server, tmp_path)
    prompts = Prompts.load(PROMPTS_DIR)
    commands = CommandRegistry()
    metrics = Metrics()
    clock = ManualClock(START)
    adapter = DiscordAdapter(
        token="fake.bot.token",
        settings=settings.discord,
        communities=settings.communities,
        commands=commands,
        prompts=prompts,
        clock=clock,
        guild_ready_timeout=0.01,
        gateway_observer=metrics,
    )
    app = await create_app(
        settings,
        database=await Database.connect(url, clock=clock),
        prompts=prompts,
        platforms={"discord": adapter},
        clock=clock,
        commands=commands,
        metrics=metrics,
    )
    await app.start()
    try:
        yield app, metrics
    finally:
        await app.stop()


async def test_a_session_is_counted_and_a_dropped_one_counts_as_resumed(
    observed: tuple[App, Metrics], server: FakeDiscord
) -> None:
    app, metrics = observed
    assert sessions(metrics, "connect") == 1
    assert (await app.readiness())["platform:discord"] is True

    await server.drop(code=4000)
    await until(lambda: sessions(metrics, "resume") == 1)

    assert sessions(metrics, "connect") == 1 and sessions(metrics, "reconnect") == 0
    assert len(server.identifies) == 1


async def test_a_new_session_for_a_shard_already_seen_is_a_reconnect(
    observed: tuple[App, Metrics],
) -> None:
    app, metrics = observed
    adapter = app.platforms["discord"]
    assert isinstance(adapter, DiscordAdapter)

    # What discord.py dispatches when Discord invalidated the session and the shard
    # identified again (the wire exchange waits five real seconds before identifying).
    await adapter.client.on_shard_connect(0)

    assert sessions(metrics, "reconnect") == 1


async def test_a_stopped_adapter_is_not_connected(
    observed: tuple[App, Metrics],
) -> None:
    app, _ = observed
    adapter = app.platforms["discord"]
    assert isinstance(adapter, DiscordAdapter)
    assert await adapter.connected()

    await adapter.stop()

    assert not await adapter.connected()
