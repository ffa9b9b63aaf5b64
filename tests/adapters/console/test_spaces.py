"""The console opens spaces as channels members can switch to, adds to them, archives them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import ChannelRef, MessagePosted, Post, ScheduledEvent
from bot.ports import Forbidden, NotFound, Unsupported
from tests.adapters.console.test_adapter import KEY, Collector, Feed, console

pytestmark = pytest.mark.console

GENERAL = ChannelRef(community=KEY, channel_id="general")


async def test_a_space_is_a_channel_its_members_can_talk_in_until_archived() -> None:
    feed = Feed()
    output = io.StringIO()
    adapter = console(feed, output=output)
    sink = Collector()
    await adapter.start(sink)
    feed.put("alice> hi", "bob> hi")
    await sink.wait_for(4)

    space = await adapter.open_space(GENERAL, "Rust & Wasm", ["alice"], private=True)
    again = await adapter.open_space(GENERAL, "Rust & Wasm", ["alice"], private=False)
    await adapter.add_to_space(space, ["alice", "bob"])
    await adapter.send(space, Post(text="welcome"), nonce="n1")
    feed.put("/in rust-wasm", "bob> hello group", "/in general")
    await sink.wait_for(5)
    await adapter.archive_space(space)
    await adapter.archive_space(space)
    feed.close()
    await adapter.finished()

    assert (space.channel_id, again.channel_id) == ("rust-wasm", "rust-wasm-2")
    text = output.getvalue()
    assert "#rust-wasm (private) opened for alice" in text
    assert "#rust-wasm added bob" not in text and "#rust-wasm added for bob" in text
    assert text.count("#rust-wasm archived") == 1
    [posted] = [e for e in sink.events[4:] if isinstance(e, MessagePosted)]
    assert posted.channel_id == "rust-wasm"
    with pytest.raises(Forbidden):
        await adapter.send(space, Post(text="late"), nonce="n2")


async def test_spaces_refuse_unknown_members_and_channels_and_invites_are_unsupported() -> None:
    adapter = console(Feed())
    with pytest.raises(NotFound, match="no member 'ghost'"):
        await adapter.open_space(GENERAL, "Rust", ["ghost"], private=True)
    with pytest.raises(NotFound, match="not a space"):
        await adapter.archive_space(GENERAL)
    with pytest.raises(Unsupported):
        await adapter.create_invite(GENERAL)
    with pytest.raises(Unsupported):
        await adapter.invite_uses(KEY)


async def test_a_calendar_event_is_printed_then_printed_cancelled_once() -> None:
    output = io.StringIO()
    adapter = console(Feed(), output=output)
    start = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    event = ScheduledEvent(
        community=KEY,
        title="Ask the founders",
        description="Session 1",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        voice_channel_id=None,
        location="#general",
    )

    event_id = await adapter.create_scheduled_event(event)
    await adapter.cancel_scheduled_event(KEY, event_id)
    with pytest.raises(NotFound, match="no event"):
        await adapter.cancel_scheduled_event(KEY, event_id)

    text = output.getvalue()
    assert "event 1 scheduled: Ask the founders" in text
    assert text.count("event 1 cancelled: Ask the founders") == 1
