"""Platform events delivered more than once, or out of order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from adapters.console.translate import Context, translate_line
from bot.domain import (
    ChoiceMade,
    CommandInvoked,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    Post,
    ReactionAdded,
    ReactionRemoved,
    ThreadCreated,
)
from bot.features.help import help_variables
from bot.storage._deliveries import LEASE
from tests.fakes import FakePlatform
from tests.faults.conftest import (
    ALICE,
    BEFORE,
    BOB,
    KEY,
    MOD,
    PROMPTS,
    FaultBot,
    message,
    next_id,
)

pytestmark = [pytest.mark.core, pytest.mark.help]


async def test_an_event_delivered_four_times_is_stored_and_counted_once(
    fault_bot: FaultBot,
) -> None:
    """Nothing doubled: one interaction row, one member row, and a daily rollup of one
    message, however many times the platform delivers the same event, including once
    more after a restart (when only the database remembers it).
    """
    app = await fault_bot.start()
    event = message(ALICE, BEFORE, text="hello")
    for _ in range(4):
        await fault_bot.deliver(event)
    assert app.dispatcher.duplicates == 3
    await fault_bot.stop()
    await fault_bot.start()
    await fault_bot.deliver(event)
    await fault_bot.flush()
    assert fault_bot.rows("SELECT event_id, kind, member_id FROM interactions") == [
        (event.event_id, "message", "alice")
    ]
    assert fault_bot.rows("SELECT member_id, messages FROM activity_daily") == [("alice", 1)]
    assert fault_bot.rows("SELECT member_id FROM members") == [("alice",)]


async def test_a_command_delivered_four_times_posts_once(fault_bot: FaultBot) -> None:
    """One effect: `/terreau posts now` delivered four times (and again after a restart)
    leaves one outbox row, sent, one post on the platform, one logged command and one
    answer (the repeat after the restart is recognised by its stored claim).
    """
    await fault_bot.start()
    event_id = await fault_bot.command(MOD, "posts", "now", "question")
    assert len(fault_bot.platform.posts()) == 1
    assert fault_bot.said(fault_bot.platform.posts("respond")[-1])[0] == "messages.posts.posted"
    await fault_bot.flush()
    [row] = fault_bot.rows("SELECT event_id FROM interactions WHERE kind = 'command'")
    assert row == (event_id,)

    # Redeliver the very same event, through the same dispatcher and after a restart.
    again = CommandInvoked(
        event_id=event_id,
        community=KEY,
        occurred_at=fault_bot.clock.now(),
        member=MOD,
        channel_id="general",
        group="posts",
        action="now",
        args=("question",),
    )
    for _ in range(3):
        await fault_bot.deliver(again)
    assert len(fault_bot.platform.posts()) == 1
    await fault_bot.stop()
    await fault_bot.start()
    await fault_bot.deliver(again)
    assert fault_bot.platform.posts() == []  # the restarted platform double posted nothing
    # The database's claim recognises the repeat: the first answer stands, none is added.
    assert fault_bot.platform.posts("respond") == []
    await fault_bot.flush()
    assert fault_bot.rows("SELECT status FROM outbox") == [("sent",)]
    assert len(fault_bot.rows("SELECT * FROM interactions WHERE kind = 'command'")) == 1


@dataclass
class DyingPlatform(FakePlatform):
    """A platform on which the process dies while it answers: the answer never leaves."""

    answering: asyncio.Event = field(default_factory=asyncio.Event)

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        self.answering.set()
        await asyncio.Event().wait()  # cancelled with the process


async def test_a_command_whose_process_died_mid_way_is_answered_when_delivered_again(
    fault_bot: FaultBot,
) -> None:
    """Nobody locked out: the process dies while it answers `/terreau help` (its claim is
    stored, never finished). A redelivery soon after the restart is taken for one still in
    progress elsewhere and left alone; one after the claim's lease is handled and answered.
    """
    dying = DyingPlatform(name="console")
    await fault_bot.start(platform=dying)
    event = CommandInvoked(
        event_id=next_id(),
        community=KEY,
        occurred_at=fault_bot.clock.now(),
        member=ALICE,
        channel_id="general",
        group="help",
        action="",
    )
    handling = asyncio.create_task(fault_bot.deliver(event))
    try:
        await dying.answering.wait()
    finally:
        handling.cancel()  # the process dies mid-way: nothing after this point runs
        with contextlib.suppress(asyncio.CancelledError):
            await handling
    assert fault_bot.rows("SELECT finished_at FROM handled_deliveries") == [(None,)]
    # What is left of it must not outlive the test: the outbox watch, woken by the
    # clock moved below, would open a connection on the closed database.
    await fault_bot.stop()

    app = await fault_bot.start()
    await fault_bot.deliver(event)
    assert fault_bot.platform.posts("respond") == []
    await fault_bot.clock.advance(LEASE)
    await fault_bot.deliver(event)
    catalog = PROMPTS.catalog("en")
    help_text = catalog.post(
        "messages.help.body", member="Alice", **help_variables(app, catalog, None)
    ).text
    assert [post.text for post in fault_bot.platform.posts("respond")] == [help_text]
    [(finished,)] = fault_bot.rows("SELECT finished_at FROM handled_deliveries")
    assert finished is not None


async def test_console_lines_translated_and_delivered_four_times_count_once(
    fault_bot: FaultBot,
) -> None:
    """Through the console adapter's translate path: the same line, translated against
    the same session state and delivered four times, stores one join and one message.
    """
    await fault_bot.start()
    context = Context(
        community=KEY,
        channels={"general": "general", "moderators": "mods"},
        channel_id="general",
        speaker="you",
        moderators=("you",),
        members={},
        messages={},
        next_number=1,
        event_prefix="console-fixed",
        next_event=1,
        now=fault_bot.clock.now(),
    )
    for _ in range(4):
        outcome = translate_line("carol> hello @everyone", context)
        assert outcome.error is None
        for event in outcome.events:
            await fault_bot.deliver(event)
    await fault_bot.flush()
    assert fault_bot.rows("SELECT kind, member_id FROM interactions ORDER BY id") == [
        ("join", "carol"),
        ("message", "carol"),
    ]
    assert fault_bot.rows("SELECT member_id, messages FROM activity_daily") == [("carol", 1)]


async def test_events_out_of_order_are_stored_without_a_crash(
    fault_bot: FaultBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing dropped: a reply before its parent, an edit before its message, a
    reaction (and its removal, first) on a message nobody saw, a thread post before the
    thread, a delete of an unknown message, a leave before the join: every event gets
    its row, in the order received, and no handler fails.
    """
    caplog.set_level(logging.WARNING)
    await fault_bot.start()
    now = fault_bot.clock.now()
    parent = next_id("u")
    events = [
        message(BOB, now, reply_to=parent, text="yes!"),
        MessageEdited(
            event_id=next_id(),
            community=KEY,
            occurred_at=now,
            member=ALICE,
            channel_id="general",
            message_id=parent,
        ),
        ReactionRemoved(
            event_id=next_id(),
            community=KEY,
            occurred_at=now,
            member=BOB,
            channel_id="general",
            message_id="never-seen",
            emoji="👍",
        ),
        ReactionAdded(
            event_id=next_id(),
            community=KEY,
            occurred_at=now,
            member=BOB,
            channel_id="general",
            message_id="never-seen",
            emoji="👍",
        ),
        message(BOB, now, thread_id="t-later", text="in a thread not opened yet"),
        MessageDeleted(
            event_id=next_id(), community=KEY, occurred_at=now, channel_id="general", message_id="x"
        ),
        MemberLeft(event_id=next_id(), community=KEY, occurred_at=now, member_id="dave"),
        MemberJoined(
            event_id=next_id(),
            community=KEY,
            occurred_at=now - timedelta(minutes=5),
            member=ALICE,
        ),
        ThreadCreated(
            event_id=next_id(),
            community=KEY,
            occurred_at=now,
            member=ALICE,
            channel_id="general",
            thread_id="t-later",
            parent_message_id=parent,
        ),
        message(ALICE, now - timedelta(minutes=1), message_id=parent, text="shall we?"),
    ]
    for event in events:
        await fault_bot.deliver(event)
    await fault_bot.flush()
    rows = fault_bot.rows("SELECT event_id, kind FROM interactions ORDER BY id")
    assert [event_id for event_id, _ in rows] == [event.event_id for event in events]
    assert [kind for _, kind in rows] == [
        "reply",
        "edit",
        "reaction_removed",
        "reaction",
        "reply",
        "delete",
        "leave",
        "join",
        "thread",
        "message",
    ]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert fault_bot.rows("SELECT member_id FROM members ORDER BY member_id") == [
        ("alice",),
        ("bob",),
    ]
    # The early reply is counted as an answer to its parent once both are stored.
    assert fault_bot.rows(
        "SELECT count(*) FROM interactions WHERE reply_to = ? OR message_id = ?", parent, parent
    ) == [(4,)]
