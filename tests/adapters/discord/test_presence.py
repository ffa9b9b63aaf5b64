"""The bot removed from and added back to a guild, from the fake gateway to the stored departure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import BotAdded, BotRemoved, MessagePosted
from tests.adapters.discord.conftest import GUILD, KEY, START, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = pytest.mark.discord


async def test_at_start_up_a_guild_the_bot_is_in_is_served_not_left(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()

    await until(lambda: bool(running.presence))
    [added] = running.presence
    assert isinstance(added, BotAdded) and added.community == KEY
    assert await running.left_at() is None


async def test_a_kick_records_the_departure_and_an_invitation_back_cancels_it(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    seen: list[MessagePosted] = []

    async def record(event: MessagePosted) -> None:
        seen.append(event)

    app.dispatcher.subscribe(MessagePosted, record)
    await until(lambda: len(running.presence) == 1)

    # An outage is not a departure: the guild comes back by itself.
    await server.dispatch("GUILD_DELETE", payload("guild_delete_outage"))
    await server.dispatch("MESSAGE_CREATE", payload("message_create"))
    await until(lambda: bool(seen))
    assert len(running.presence) == 1 and await running.left_at() is None

    kicked = START + timedelta(minutes=1)
    await running.clock.set(kicked)
    await server.dispatch("GUILD_DELETE", payload("guild_delete"))
    await until(lambda: len(running.presence) == 2)
    assert isinstance(running.presence[1], BotRemoved)
    assert await running.left_at() == kicked

    await running.clock.advance(timedelta(hours=2))
    await server.dispatch("GUILD_CREATE", payload("guild_create"))
    await until(lambda: len(running.presence) == 3)
    back = running.presence[2]
    assert isinstance(back, BotAdded) and back.occurred_at == kicked + timedelta(hours=2)
    assert await running.left_at() is None
    assert [type(event) for event in running.presence] == [BotAdded, BotRemoved, BotAdded]
    # Back in the guild, `/terreau` is synced to it again.
    await until(lambda: len(server.requests_to("PUT", f"/guilds/{GUILD}/commands")) == 2)


async def test_a_guild_left_while_terreau_was_down_is_a_departure_at_start_up(
    running: Running, server: FakeDiscord
) -> None:
    server.guilds = []  # READY no longer lists the configured guild

    await running.start()

    await until(lambda: bool(running.presence))
    [removed] = running.presence
    assert isinstance(removed, BotRemoved) and removed.community == KEY
    assert await running.left_at() == START
    assert running.adapter is not None
    assert running.adapter.client.departed == {int(KEY.split(":")[1])}
