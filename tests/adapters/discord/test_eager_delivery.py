"""Events handed to the core at once: a task only for a handling that waits, and it is tracked."""

from __future__ import annotations

import asyncio
import contextvars
import logging

import pytest

from adapters._eager import start_eagerly
from bot.domain import Event, MessagePosted
from tests.adapters.discord.conftest import Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = [pytest.mark.ingest, pytest.mark.discord]

WHERE = contextvars.ContextVar("WHERE", default="reader")


async def test_a_coroutine_that_never_waits_runs_at_once_without_a_task() -> None:
    ran: list[str] = []

    async def handle() -> None:
        WHERE.set("handler")
        ran.append(WHERE.get())

    assert start_eagerly(handle()) is None
    assert ran == ["handler"]
    assert WHERE.get() == "reader"  # it ran in a context of its own


async def test_a_coroutine_that_waits_goes_on_in_a_task_in_its_own_context() -> None:
    gate = asyncio.get_running_loop().create_future()
    ran: list[str] = []

    async def handle() -> None:
        WHERE.set("handler")
        ran.append(await gate)
        ran.append(WHERE.get())

    task = start_eagerly(handle())
    assert task is not None and not task.done()
    gate.set_result("opened")
    await task
    assert ran == ["opened", "handler"]
    assert WHERE.get() == "reader"


async def test_errors_before_and_after_the_first_wait_and_cancellation() -> None:
    async def fails() -> None:
        raise ValueError("at once")

    with pytest.raises(ValueError, match="at once"):
        start_eagerly(fails())

    gate = asyncio.get_running_loop().create_future()
    cleaned: list[str] = []

    async def fails_later() -> None:
        await gate
        raise ValueError("later")

    async def waits() -> None:
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            cleaned.append("finally")

    later = start_eagerly(fails_later())
    cancelled = start_eagerly(waits())
    assert later is not None and cancelled is not None
    gate.set_result(None)
    with pytest.raises(ValueError, match="later"):
        await later
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert cleaned == ["finally"]


async def test_a_handling_that_waits_is_tracked_and_stopping_waits_for_it(
    running: Running, server: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    app = await running.start()
    assert running.adapter is not None
    client = running.adapter.client
    behind = asyncio.Event()
    handled: list[str] = []

    async def slow(event: MessagePosted) -> None:
        await behind.wait()
        handled.append(event.message_id)

    app.dispatcher.subscribe(MessagePosted, slow)
    await server.dispatch("MESSAGE_CREATE", payload("message_create"))
    await until(lambda: client.in_flight.running == 1)
    assert len(client.handling) == 1  # a checkpoint waits for it

    draining = asyncio.create_task(client.drain(within=60))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not draining.done()
    behind.set()
    await draining
    assert handled == ["1188000000000000001"]

    # A sink that fails is logged, and the shard reads on.
    sink = client.sink

    async def broken(event: Event) -> None:
        raise RuntimeError("the core failed")

    client.sink = broken
    with caplog.at_level(logging.ERROR):
        await server.dispatch("MESSAGE_CREATE", dict(payload("message_create"), id="2"))
        await until(lambda: "the core failed" in caplog.text)
    client.sink = sink
    await server.dispatch("MESSAGE_CREATE", dict(payload("message_create"), id="3"))
    await until(lambda: len(handled) == 2)
    assert handled[-1] == "3"
