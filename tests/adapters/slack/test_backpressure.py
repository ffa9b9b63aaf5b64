"""Backpressure: Socket Mode hands bolt no more envelopes while too many listeners run."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest

from bot.domain import MessagePosted
from tests.adapters.slack.conftest import start_terreau
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.test_socket_mode import envelope, load
from tests.fakes import ManualClock, until

pytestmark = [pytest.mark.ingest, pytest.mark.slack]


def message(number: int) -> dict[str, object]:
    payload = copy.deepcopy(load("message.json"))
    payload["event_id"] = f"Ev0BURST{number:04d}"
    payload["event"]["ts"] = f"1763800800.{number:06d}"
    payload["event"]["client_msg_id"] = f"burst-{number}"
    return envelope("events_api", payload, f"env-{number}")


async def test_envelopes_wait_unread_while_the_listeners_are_behind(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    app, adapter = await start_terreau(tmp_path, fake_slack, clock, "socket", handlers_in_flight=3)
    try:
        behind = asyncio.Event()
        handled: list[str] = []

        async def slow(event: MessagePosted) -> None:
            await behind.wait()
            handled.append(event.message_id)

        app.dispatcher.subscribe(MessagePosted, slow)
        for number in range(10):
            await fake_slack.push(message(number))

        await until(lambda: adapter.in_flight.holding and len(fake_slack.acks) >= 3)
        for _ in range(20):
            await asyncio.sleep(0)
        # An envelope counts until bolt acknowledges it, its listener until it returns:
        # the two overlap a little, so a few more than three may be handed over.
        assert 3 <= len(fake_slack.acks) <= 6  # the rest were not handed to bolt
        assert adapter.in_flight.running == len(fake_slack.acks)
        assert adapter.in_flight.pauses >= 1

        behind.set()
        await until(lambda: len(handled) == 10 and len(fake_slack.acks) == 10)
        assert sorted(handled) == sorted(f"1763800800.{n:06d}" for n in range(10))
        await app.writer.flush()
        assert app.writer.stats.inserted >= 10
    finally:
        await app.stop()
