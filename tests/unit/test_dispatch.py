from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

from bot.dispatch import Dispatcher
from bot.domain import CommandInvoked, Event, Member, MemberJoined, MessagePosted

pytestmark = pytest.mark.core

AT = datetime(2026, 11, 23, 8, tzinfo=UTC)
ALICE = Member(id="alice", display_name="Alice")


def message(event_id: str, community: str = "console:demo") -> MessagePosted:
    return MessagePosted(
        event_id=event_id,
        community=community,
        occurred_at=AT,
        member=ALICE,
        channel_id="general",
        message_id=f"m-{event_id}",
    )


async def test_each_handler_of_the_type_and_its_bases_runs_once_in_order() -> None:
    calls: list[str] = []
    dispatcher = Dispatcher()

    async def any_event(event: Event) -> None:
        calls.append(f"any:{event.event_id}")

    async def messages(event: MessagePosted) -> None:
        calls.append(f"message:{event.event_id}")

    dispatcher.subscribe(MessagePosted, messages)
    dispatcher.subscribe(Event, any_event)
    await dispatcher.dispatch(message("e1"))
    await dispatcher.dispatch(
        MemberJoined(event_id="e2", community="c", occurred_at=AT, member=ALICE)
    )
    assert calls == ["any:e1", "message:e1", "any:e2"]


async def test_a_handler_runs_only_in_the_communities_it_serves() -> None:
    calls: list[str] = []
    asked: list[str] = []
    dispatcher = Dispatcher()

    async def everywhere(event: Event) -> None:
        calls.append(f"all:{event.event_id}")

    async def where_on(event: MessagePosted) -> None:
        calls.append(f"on:{event.event_id}")

    def serves(community: str) -> bool:
        asked.append(community)
        return community == "console:on"

    dispatcher.subscribe(Event, everywhere)
    dispatcher.subscribe(MessagePosted, where_on, serves=serves)
    for number, community in enumerate(["console:on", "console:off", "console:on", "console:off"]):
        await dispatcher.dispatch(message(f"e{number}", community=community))
    assert calls == ["all:e0", "on:e0", "all:e1", "all:e2", "on:e2", "all:e3"]
    assert asked == ["console:on", "console:off"]  # once per community and event type
    dispatcher.subscribe(MessagePosted, where_on)  # a new subscription routes anew
    await dispatcher.dispatch(message("e4", community="console:off"))
    assert calls[-2:] == ["all:e4", "on:e4"]


async def test_a_repeated_delivery_is_dropped_before_any_handler() -> None:
    seen: list[str] = []
    dispatcher = Dispatcher()

    async def record(event: Event) -> None:
        seen.append(event.event_id)

    dispatcher.subscribe(Event, record)
    for _ in range(4):
        await dispatcher.dispatch(message("e1"))
    await dispatcher.dispatch(message("e1", community="console:other"))
    assert seen == ["e1", "e1"]
    assert dispatcher.duplicates == 3


async def test_the_memory_of_seen_events_is_bounded() -> None:
    seen: list[str] = []
    dispatcher = Dispatcher(remember=2)

    async def record(event: Event) -> None:
        seen.append(event.event_id)

    dispatcher.subscribe(Event, record)
    for event_id in ("e1", "e2", "e3", "e1"):
        await dispatcher.dispatch(message(event_id))
    assert seen == ["e1", "e2", "e3", "e1"]


async def test_a_failing_handler_does_not_stop_the_others(caplog) -> None:
    seen: list[str] = []
    dispatcher = Dispatcher()

    async def broken(event: Event) -> None:
        raise RuntimeError("boom")

    async def record(event: Event) -> None:
        seen.append(event.event_id)

    dispatcher.subscribe(Event, broken)
    dispatcher.subscribe(Event, record)
    await dispatcher.dispatch(message("e1"))
    assert seen == ["e1"]
    assert "failed on MessagePosted e1" in caplog.text


class FakeClaims:
    """Claims kept in a dict, as the database keeps them; `broken` makes claiming fail."""

    def __init__(self) -> None:
        self.claimed: dict[str, bool] = {}  # event id -> finished
        self.broken = False

    async def claim(self, event: Event) -> bool:
        if self.broken:
            raise ConnectionError("database down")
        if event.event_id in self.claimed:
            return False
        self.claimed[event.event_id] = False
        return True

    async def finish(self, event: Event) -> None:
        self.claimed[event.event_id] = True


def command(event_id: str) -> CommandInvoked:
    return CommandInvoked(
        event_id=event_id,
        community="console:demo",
        occurred_at=AT,
        member=ALICE,
        channel_id="general",
        group="help",
        action="",
    )


async def test_commands_are_claimed_and_finished_messages_are_not() -> None:
    claims = FakeClaims()
    seen: list[str] = []
    dispatcher = Dispatcher(claims=claims, claimed=(CommandInvoked,))

    async def record(event: Event) -> None:
        seen.append(event.event_id)

    dispatcher.subscribe(Event, record)
    await dispatcher.dispatch(command("c1"))
    await dispatcher.dispatch(message("e1"))
    assert seen == ["c1", "e1"]
    assert claims.claimed == {"c1": True}


async def test_a_delivery_claimed_elsewhere_is_dropped_and_asked_about_again() -> None:
    claims = FakeClaims()
    claims.claimed["c1"] = False  # another process is handling it
    seen: list[str] = []
    dispatcher = Dispatcher(claims=claims, claimed=(CommandInvoked,))

    async def record(event: Event) -> None:
        seen.append(event.event_id)

    dispatcher.subscribe(Event, record)
    await dispatcher.dispatch(command("c1"))
    assert (seen, dispatcher.duplicates) == ([], 1)
    del claims.claimed["c1"]  # its claim was given up (its lease is over)
    await dispatcher.dispatch(command("c1"))
    assert seen == ["c1"]


async def test_handlers_run_when_the_claim_cannot_be_stored(caplog) -> None:
    claims = FakeClaims()
    claims.broken = True
    seen: list[str] = []
    dispatcher = Dispatcher(claims=claims, claimed=(CommandInvoked,))

    async def record(event: Event) -> None:
        seen.append(event.event_id)

    dispatcher.subscribe(Event, record)
    await dispatcher.dispatch(command("c1"))
    assert seen == ["c1"]
    assert "could not claim CommandInvoked c1" in caplog.text


async def test_a_handler_cancelled_mid_way_leaves_its_claim_unfinished() -> None:
    claims = FakeClaims()
    started = asyncio.Event()
    dispatcher = Dispatcher(claims=claims, claimed=(CommandInvoked,))

    async def hang(event: Event) -> None:
        started.set()
        await asyncio.Event().wait()

    dispatcher.subscribe(Event, hang)
    task = asyncio.create_task(dispatcher.dispatch(command("c1")))
    await started.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert claims.claimed == {"c1": False}
