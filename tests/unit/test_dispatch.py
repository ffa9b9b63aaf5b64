from __future__ import annotations

from datetime import UTC, datetime

from bot.dispatch import Dispatcher
from bot.domain import Event, Member, MemberJoined, MessagePosted

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
