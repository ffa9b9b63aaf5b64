"""Backpressure: a shard stops reading the gateway while too many event handlers run."""

from __future__ import annotations

import asyncio

import pytest

from adapters._backpressure import InFlight
from bot.domain import MessagePosted
from tests.adapters.discord.conftest import Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = [pytest.mark.ingest, pytest.mark.discord]


def message(number: int) -> dict[str, object]:
    data = payload("message_create")
    return dict(data, id=str(1190000000000000000 + number))


async def test_a_shard_reads_no_further_while_its_handlers_are_behind(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    assert running.adapter is not None
    client = running.adapter.client
    client.in_flight = InFlight(limit=3)
    [shard] = client.gateway_shards.values()
    behind = asyncio.Event()
    handled: list[str] = []

    async def slow(event: MessagePosted) -> None:
        await behind.wait()
        handled.append(event.message_id)

    app.dispatcher.subscribe(MessagePosted, slow)
    read_before = shard.ws.sequence or 0
    for number in range(10):
        await server.dispatch("MESSAGE_CREATE", message(number))

    await until(lambda: client.in_flight.holding and client.in_flight.running == 3)
    for _ in range(20):
        await asyncio.sleep(0)
    assert shard.ws.sequence == read_before + 3  # the other 7 frames wait in the socket
    assert client.in_flight.pauses == 1

    behind.set()
    await until(lambda: len(handled) == 10)
    assert handled == [str(1190000000000000000 + n) for n in range(10)]
    assert shard.ws.sequence == read_before + 10
    await app.writer.flush()
    assert app.writer.stats.inserted >= 10


def test_reading_resumes_once_half_the_handlers_finished() -> None:
    async def scenario() -> list[bool]:
        in_flight = InFlight(limit=4)
        gates = [asyncio.get_running_loop().create_future() for _ in range(4)]
        for gate in gates:
            in_flight.track(gate)
        states = [in_flight.holding]
        for gate in gates[:2]:
            gate.set_result(None)
            await asyncio.sleep(0)
            states.append(in_flight.holding)
        await in_flight.room()
        return states

    assert asyncio.run(scenario()) == [True, True, False]
