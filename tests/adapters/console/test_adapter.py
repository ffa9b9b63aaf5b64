"""A console session driven by input lines, and the ChatPlatform side of the adapter."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console import HELP, ConsoleAdapter, LineSource, lines_from_file
from bot.domain import (
    ChannelRef,
    Choice,
    ChoiceMade,
    CommandInvoked,
    Community,
    Event,
    Member,
    MemberJoined,
    MemberLeft,
    Mention,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    Post,
    ReactionAdded,
    ReactionRemoved,
    SentMessage,
    ThreadCreated,
    mention_marker,
)
from bot.ports import ChatPlatform, Forbidden, NotFound, Unsupported
from tests.fakes import PATIENCE, ManualClock

pytestmark = pytest.mark.console

START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # Mon 09:00 in Paris
COMMUNITY = Community(platform="console", id="local", name="Demo", timezone="Europe/Paris")
KEY = COMMUNITY.key
CHANNELS = {"general": "general", "offtopic": "random"}
BANNER = "Terreau console: Demo, in #general as you. Type /help for the syntax, /quit to leave."
GENERAL = ChannelRef(community=KEY, channel_id="general")
POLL = Post(
    text="Coffee or tea?",
    choices=(Choice(id="poll:7:coffee", label="Coffee"), Choice(id="poll:7:tea", label="Tea")),
)


class Collector:
    """An event sink that records what it receives."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.events) >= count), PATIENCE
            )

    def kinds(self) -> list[str]:
        return [type(event).__name__ for event in self.events]


class Feed:
    """Input lines the test hands over one at a time; never ends until closed."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()

    def put(self, *lines: str) -> None:
        for line in lines:
            self._queue.put_nowait(line)

    def close(self) -> None:
        self._queue.put_nowait(None)

    @property
    def unread(self) -> int:
        """How many lines were put and not yet read."""
        return self._queue.qsize()

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> str:
        line = await self._queue.get()
        if line is None:
            raise StopAsyncIteration
        return line


async def script(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


def console(
    source: LineSource,
    *,
    echo: bool = False,
    clock: ManualClock | None = None,
    output: io.StringIO | None = None,
    moderators: tuple[str, ...] = ("you",),
) -> ConsoleAdapter:
    return ConsoleAdapter(
        community=COMMUNITY,
        channels=CHANNELS,
        clock=clock or ManualClock(START),
        input=source,
        output=output if output is not None else io.StringIO(),
        moderators=moderators,
        echo_input=echo,
    )


def actor(event: Event) -> str | None:
    member = getattr(event, "member", None)
    return member.id if isinstance(member, Member) else None


async def run(adapter: ConsoleAdapter) -> Collector:
    sink = Collector()
    await adapter.start(sink)
    await adapter.finished()
    return sink


# Reading a session.


async def test_a_scripted_session_produces_events_in_order() -> None:
    adapter = console(
        script(
            "hello everyone",
            "alice> hi @you",
            "alice> /terreau election nominate bob 'always kind'",
            "/react 2 :thumbsup:",
            "alice> /unreact 1 👍",
            "/reply 2 welcome alice",
            "bob> /thread 1 a side topic",
            "/in offtopic",
            "/as alice",
            "over here",
            "/edit 5 over here!",
            "/delete 5",
            "/join carol",
            "/leave carol",
        )
    )
    sink = await run(adapter)
    summary = [(type(event).__name__, actor(event)) for event in sink.events]
    assert summary == [
        ("MemberJoined", "you"),
        ("MessagePosted", "you"),
        ("MemberJoined", "alice"),
        ("MessagePosted", "alice"),
        ("CommandInvoked", "alice"),
        ("ReactionAdded", "you"),
        ("ReactionRemoved", "alice"),
        ("MessagePosted", "you"),
        ("MemberJoined", "bob"),
        ("ThreadCreated", "bob"),
        ("MessagePosted", "bob"),
        ("MessagePosted", "alice"),
        ("MessageEdited", "alice"),
        ("MessageDeleted", None),
        ("MemberJoined", "carol"),
        ("MemberLeft", None),
    ]
    e = sink.events
    assert isinstance(e[1], MessagePosted) and e[1].message_id == "1"
    assert isinstance(e[3], MessagePosted) and e[3].mentions == ("you",)
    assert isinstance(e[4], CommandInvoked)
    assert e[4].text == "nominate bob 'always kind'"
    assert isinstance(e[5], ReactionAdded) and (e[5].message_id, e[5].emoji) == ("2", "👍")
    assert isinstance(e[6], ReactionRemoved) and e[6].message_id == "1"
    assert isinstance(e[7], MessagePosted) and (e[7].reply_to, e[7].message_id) == ("2", "3")
    assert isinstance(e[9], ThreadCreated) and e[9].thread_id == "1"
    assert isinstance(e[10], MessagePosted) and (e[10].thread_id, e[10].message_id) == ("1", "4")
    assert isinstance(e[11], MessagePosted) and (e[11].channel_id, e[11].message_id) == (
        "random",
        "5",
    )
    assert isinstance(e[12], MessageEdited) and e[12].message_id == "5"
    assert isinstance(e[13], MessageDeleted) and (e[13].message_id, e[13].member_id) == (
        "5",
        "alice",
    )
    assert isinstance(e[15], MemberLeft) and e[15].member_id == "carol"
    assert all(event.community == KEY and event.occurred_at == START for event in e)


async def test_event_ids_are_unique_within_and_across_sessions() -> None:
    first = await run(console(script("hi", "alice> hi", "/react 1 👍")))
    second = await run(console(script("hi", "alice> hi", "/react 1 👍")))
    ids = [event.event_id for event in first.events + second.events]
    assert len(set(ids)) == len(ids) == 10
    assert all(event_id.startswith("console-") for event_id in ids)


async def test_members_are_admins_when_they_are_moderators() -> None:
    sink = await run(console(script("hi", "alice> hi", "mod> hi"), moderators=("mod",)))
    joined = {e.member.id: e.member.is_admin for e in sink.events if isinstance(e, MemberJoined)}
    assert joined == {"you": False, "alice": False, "mod": True}


async def test_interactive_mode_numbers_typed_messages_without_reprinting_them() -> None:
    output = io.StringIO()
    await run(console(script("hello", "/react 1 👍", "second"), output=output))
    assert output.getvalue() == f"{BANNER}\n  (#1)\n  (#2)\n"


async def test_the_banner_greets_interactive_users_only() -> None:
    interactive, scripted = io.StringIO(), io.StringIO()
    community = Community(platform="console", id="x", name="Garden club", timezone="UTC")
    await run(
        ConsoleAdapter(
            community=community,
            channels={"welcome": "hello", "general": "lobby"},
            clock=ManualClock(START),
            input=script(),
            output=interactive,
            speaker="alice",
        )
    )
    await run(console(script(), echo=True, output=scripted))
    assert interactive.getvalue() == (
        "Terreau console: Garden club, in #lobby as alice. "
        "Type /help for the syntax, /quit to leave.\n"
    )
    assert scripted.getvalue() == ""


async def test_script_mode_shows_every_line_and_numbers_messages() -> None:
    output = io.StringIO()
    await run(
        console(
            script("# setting the scene", "", "hello", "alice> /reply 1 hi you", "/react 2 👍"),
            echo=True,
            output=output,
        )
    )
    assert output.getvalue().splitlines() == [
        "#1 [Mon 09:00 #general] you: hello",
        "#2 [Mon 09:00 #general] alice (reply to #1): hi you",
        "[Mon 09:00 #general] you> /react 2 👍",
    ]


async def test_member_text_renders_literally_and_never_mentions() -> None:
    output = io.StringIO()
    text = "ping @everyone \ue0000\ue001 and @here"
    sink = await run(console(script("alice> hi", f"bob> {text}"), echo=True, output=output))
    posted = sink.events[-1]
    assert isinstance(posted, MessagePosted)
    assert posted.text == text
    assert posted.mentions == ()
    assert output.getvalue().splitlines()[-1] == f"#2 [Mon 09:00 #general] bob: {text}"


async def test_errors_print_the_script_line_and_reading_continues() -> None:
    output = io.StringIO()
    sink = await run(
        console(
            script("hello", "/fly", "/choose 1 1", "/in kitchen", "bye"), echo=True, output=output
        )
    )
    assert sink.kinds() == ["MemberJoined", "MessagePosted", "MessagePosted"]
    assert output.getvalue().splitlines()[1:4] == [
        "error: line 2: unknown command /fly (type /help)",
        "error: line 3: #1 has no choices",
        "error: line 4: unknown channel 'kitchen'; known channels: #general, #random",
    ]


async def test_interactive_errors_have_no_line_number() -> None:
    output = io.StringIO()
    await run(console(script("/choose 4 1"), output=output))
    assert output.getvalue() == f"{BANNER}\nerror: there is no message #4\n"


async def test_help_is_printed() -> None:
    output = io.StringIO()
    sink = await run(console(script("/help"), output=output))
    assert output.getvalue() == f"{BANNER}\n{HELP}\n"
    assert sink.events == []


async def test_quit_stops_reading() -> None:
    source = Feed()
    source.put("hello", "/quit", "never read")
    adapter = console(source)
    sink = await run(adapter)
    assert sink.kinds() == ["MemberJoined", "MessagePosted"]


async def test_a_failing_sink_is_reported_and_reading_goes_on() -> None:
    output = io.StringIO()
    adapter = console(script("hello", "again"), output=output)
    received: list[Event] = []

    async def sink(event: Event) -> None:
        received.append(event)
        if isinstance(event, MemberJoined):
            raise RuntimeError("database down")

    await adapter.start(sink)
    await adapter.finished()
    assert [type(event) for event in received] == [MemberJoined, MessagePosted, MessagePosted]
    assert "error: line 1: handling MemberJoined failed (see the log)" in output.getvalue()


# Choices and time.


async def test_choose_round_trip_returns_the_choice_id() -> None:
    feed = Feed()
    adapter = console(feed)
    sink = Collector()
    await adapter.start(sink)
    sent = await adapter.send(GENERAL, POLL, nonce="poll-7")
    feed.put(f"alice> /choose {sent.message_id} 2")
    await sink.wait_for(2)
    made = sink.events[1]
    assert isinstance(made, ChoiceMade)
    assert (made.choice_id, made.message_id, made.channel_id) == ("poll:7:tea", "1", "general")
    assert made.member.id == "alice"

    await adapter.update(
        sent, Post(text="Poll closed", choices=(Choice(id="poll:7:results", label="See"),))
    )
    feed.put("/choose 1 1", "/choose 1 2")
    feed.close()
    await adapter.finished()
    choices = [event.choice_id for event in sink.events if isinstance(event, ChoiceMade)]
    assert choices == ["poll:7:tea", "poll:7:results"]


async def test_wait_pauses_reading_until_the_clock_moves() -> None:
    clock = ManualClock(START)
    adapter = console(script("hello", "/wait 1h30m", "later"), clock=clock)
    sink = Collector()
    await adapter.start(sink)
    await sink.wait_for(2)
    await clock.advance(timedelta(hours=1))
    assert len(sink.events) == 2
    await clock.advance(timedelta(minutes=30))
    await sink.wait_for(3)
    await adapter.finished()
    later = sink.events[2]
    assert isinstance(later, MessagePosted)
    assert later.text == "later"
    assert later.occurred_at == START + timedelta(hours=1, minutes=30)


async def test_stop_ends_a_reader_waiting_for_input_and_is_idempotent() -> None:
    feed = Feed()
    adapter = console(feed)
    sink = Collector()
    await adapter.start(sink)
    feed.put("before")
    await sink.wait_for(1)
    async with asyncio.timeout(PATIENCE):  # the feed never ends: only `stop` can end the reader
        await adapter.stop()
        await adapter.finished()
        await adapter.stop()
    feed.put("after")
    assert feed.unread == 1  # nothing reads the input any more
    assert [e.text for e in sink.events if isinstance(e, MessagePosted)] == ["before"]


async def test_start_twice_or_finished_before_start_is_refused() -> None:
    adapter = console(script())
    with pytest.raises(RuntimeError, match="not started"):
        await adapter.finished()
    await adapter.start(Collector())
    with pytest.raises(RuntimeError, match="already started"):
        await adapter.start(Collector())
    await adapter.finished()


# Sources.


async def test_a_text_stream_is_a_source() -> None:
    sink = await run(console(io.StringIO("hello\r\nalice> hi\n")))
    assert [e.text for e in sink.events if isinstance(e, MessagePosted)] == ["hello", "hi"]


async def test_a_script_file_is_a_source(tmp_path: Path) -> None:
    path = tmp_path / "demo.txt"
    path.write_text("# demo\nhello\n/wait 1s\n/quit\n", encoding="utf-8")
    clock = ManualClock(START)
    adapter = console(lines_from_file(path), clock=clock, echo=True)
    sink = Collector()
    await adapter.start(sink)
    await sink.wait_for(2)
    await clock.advance(timedelta(seconds=1))
    await adapter.finished()
    assert sink.kinds() == ["MemberJoined", "MessagePosted"]


def test_a_missing_script_file_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"cannot read console script .*missing\.txt"):
        lines_from_file(tmp_path / "missing.txt")


# The ChatPlatform port.


def test_the_adapter_is_a_chat_platform() -> None:
    platform: ChatPlatform = console(script())
    assert platform.name == "console"


def test_configuration_errors_are_refused() -> None:
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="at least one channel"):
        ConsoleAdapter(
            community=COMMUNITY, channels={}, clock=clock, input=script(), output=io.StringIO()
        )
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        ConsoleAdapter(
            community=Community(platform="console", id="x", name="x", timezone="Mars/Olympus"),
            channels=CHANNELS,
            clock=clock,
            input=script(),
            output=io.StringIO(),
        )
    with pytest.raises(ValueError, match="invalid member name"):
        ConsoleAdapter(
            community=COMMUNITY,
            channels=CHANNELS,
            clock=clock,
            input=script(),
            output=io.StringIO(),
            speaker="two words",
        )


async def test_send_prints_a_numbered_post_with_mentions_and_choices() -> None:
    output = io.StringIO()
    adapter = console(script(), output=output)
    post = Post(
        text=f"{mention_marker(0)}, pick one:",
        mentions=(Mention(member_id="alice", display_name="alice"),),
        choices=POLL.choices,
    )
    sent = await adapter.send(GENERAL, post, nonce="n1")
    assert sent == SentMessage(community=KEY, channel_id="general", message_id="1")
    assert output.getvalue() == (
        "#1 [Mon 09:00 #general] Terreau: @alice, pick one:\n  [1] Coffee   [2] Tea\n"
    )


async def test_a_repeated_nonce_returns_the_first_send_and_prints_nothing() -> None:
    output = io.StringIO()
    adapter = console(script(), output=output)
    first = await adapter.send(GENERAL, Post(text="once"), nonce="ritual:mon")
    again = await adapter.send(GENERAL, Post(text="once"), nonce="ritual:mon")
    other = await adapter.send(GENERAL, Post(text="twice"), nonce="ritual:tue")
    assert again == first
    assert other.message_id == "2"
    assert output.getvalue().count("once") == 1


async def test_send_refuses_unknown_places() -> None:
    adapter = console(script())
    with pytest.raises(NotFound, match="no channel 'kitchen'"):
        await adapter.send(ChannelRef(community=KEY, channel_id="kitchen"), POLL, nonce="a")
    with pytest.raises(NotFound, match="not discord:1"):
        await adapter.send(ChannelRef(community="discord:1", channel_id="general"), POLL, nonce="b")
    with pytest.raises(NotFound, match="no thread '9'"):
        await adapter.send(
            ChannelRef(community=KEY, channel_id="general", thread_id="9"), POLL, nonce="c"
        )


async def test_bot_and_member_messages_share_one_numbering() -> None:
    feed = Feed()
    output = io.StringIO()
    adapter = console(feed, output=output)
    sink = Collector()
    await adapter.start(sink)
    await adapter.send(GENERAL, Post(text="Morning!"), nonce="a")
    feed.put("hi", "/reply 1 morning")
    await sink.wait_for(3)
    third = await adapter.send(GENERAL, Post(text="Welcome"), nonce="b")
    feed.close()
    await adapter.finished()
    reply = sink.events[2]
    assert isinstance(reply, MessagePosted)
    assert (reply.message_id, reply.reply_to) == ("3", "1")
    assert third.message_id == "4"
    assert output.getvalue().splitlines() == [
        BANNER,
        "#1 [Mon 09:00 #general] Terreau: Morning!",
        "  (#2)",
        "  (#3)",
        "#4 [Mon 09:00 #general] Terreau: Welcome",
    ]


async def test_threads_opened_by_the_bot() -> None:
    feed = Feed()
    output = io.StringIO()
    adapter = console(feed, output=output)
    sink = Collector()
    await adapter.start(sink)
    sent = await adapter.send(GENERAL, Post(text="Weekly thread"), nonce="a")
    thread = await adapter.open_thread(sent, "Share your wins")
    assert thread == SentMessage(community=KEY, channel_id="general", message_id="1", thread_id="1")
    assert await adapter.open_thread(sent, "Share your wins") == thread
    where = ChannelRef(community=KEY, channel_id="general", thread_id=thread.thread_id)
    inside = await adapter.send(where, Post(text="Go!"), nonce="b")
    assert inside.thread_id == "1"
    with pytest.raises(Unsupported, match="already in a thread"):
        await adapter.open_thread(inside, "nested")
    feed.put("alice> /thread 1 I shipped it")
    feed.close()
    await adapter.finished()
    assert sink.kinds() == ["MemberJoined", "MessagePosted"]  # the thread exists: no ThreadCreated
    posted = sink.events[1]
    assert isinstance(posted, MessagePosted)
    assert posted.thread_id == "1"
    assert output.getvalue().splitlines()[1:4] == [
        "#1 [Mon 09:00 #general] Terreau: Weekly thread",
        "  ↳ [Mon 09:00 #general › #1] Terreau opened a thread: Share your wins",
        "  ↳ #2 [Mon 09:00 #general › #1] Terreau: Go!",
    ]


async def test_update_prints_the_edited_message() -> None:
    output = io.StringIO()
    adapter = console(script(), output=output)
    sent = await adapter.send(GENERAL, POLL, nonce="a")
    await adapter.update(sent, Post(text="Coffee won."))
    assert (
        output.getvalue().splitlines()[-1]
        == "#1 (edited) [Mon 09:00 #general] Terreau: Coffee won."
    )
    with pytest.raises(NotFound, match="no message '7'"):
        await adapter.update(SentMessage(community=KEY, channel_id="general", message_id="7"), POLL)


async def test_update_of_a_member_message_is_forbidden() -> None:
    adapter = console(script("hello"))
    await run(adapter)
    with pytest.raises(Forbidden, match="#1 was posted by a member"):
        await adapter.update(SentMessage(community=KEY, channel_id="general", message_id="1"), POLL)


async def test_private_and_public_responses() -> None:
    feed = Feed()
    output = io.StringIO()
    adapter = console(feed, output=output)
    sink = Collector()
    await adapter.start(sink)
    feed.put("alice> /terreau election vote")
    await sink.wait_for(2)
    command = sink.events[1]
    assert isinstance(command, CommandInvoked)
    await adapter.respond(
        command, Post(text="Your ballot", choices=(Choice(id="election:1:bob", label="bob"),))
    )
    await adapter.respond(command, Post(text="alice opened the ballot"), private=False)
    feed.put("bob> /choose 1 1", "alice> /choose 1 1")
    feed.close()
    await adapter.finished()
    assert output.getvalue().splitlines()[1:] == [
        "#1 [Mon 09:00 #general] (only alice sees) Terreau: Your ballot",
        "  [1] bob",
        "#2 [Mon 09:00 #general] Terreau: alice opened the ballot",
        "error: message #1 is only visible to alice",
    ]
    made = sink.events[-1]
    assert isinstance(made, ChoiceMade)
    assert (made.choice_id, made.member.id) == ("election:1:bob", "alice")


async def test_a_response_to_a_click_in_a_thread_stays_in_the_thread() -> None:
    feed = Feed()
    output = io.StringIO()
    adapter = console(feed, output=output)
    sink = Collector()
    await adapter.start(sink)
    parent = await adapter.send(GENERAL, Post(text="Trivia"), nonce="a")
    thread = await adapter.open_thread(parent, "Round 1")
    where = ChannelRef(community=KEY, channel_id="general", thread_id=thread.thread_id)
    await adapter.send(where, POLL, nonce="b")
    feed.put("/choose 2 1")
    feed.close()
    await adapter.finished()
    made = sink.events[-1]
    assert isinstance(made, ChoiceMade)
    await adapter.respond(made, Post(text="Noted"), private=False)
    assert output.getvalue().splitlines()[-1] == "  ↳ #3 [Mon 09:00 #general › #1] Terreau: Noted"


async def test_direct_messages() -> None:
    feed = Feed()
    output = io.StringIO()
    adapter = console(feed, output=output)
    sink = Collector()
    await adapter.start(sink)
    feed.put("/join bob")
    await sink.wait_for(1)
    invite = Post(text="Coffee with alice?", choices=(Choice(id="icebreaker:4:yes", label="Yes"),))
    sent = await adapter.send_direct(KEY, "bob", invite)
    assert sent == SentMessage(community=KEY, channel_id="dm-bob", message_id="1")
    with pytest.raises(NotFound, match="no member 'carol'"):
        await adapter.send_direct(KEY, "carol", invite)
    feed.put("bob> /choose 1 1")
    feed.close()
    await adapter.finished()
    made = sink.events[-1]
    assert isinstance(made, ChoiceMade)
    assert (made.choice_id, made.channel_id) == ("icebreaker:4:yes", "dm-bob")
    await adapter.respond(made, Post(text="See you!"), private=False)
    assert output.getvalue().splitlines()[1:] == [
        "#1 [Mon 09:00] (DM to bob) Terreau: Coffee with alice?",
        "  [1] Yes",
        "#2 [Mon 09:00] (DM to bob) Terreau: See you!",
    ]


async def test_members_seen_so_far() -> None:
    adapter = console(script("hi", "carol> hi", "alice> hi", "/join bob", "/leave carol"))
    await run(adapter)
    members = await adapter.list_members(KEY)
    assert [member.id for member in members] == ["alice", "bob", "you"]
    assert [m.id for m in await adapter.list_members(KEY, after="alice", limit=1)] == ["bob"]
    assert await adapter.fetch_member(KEY, "carol") is None
    alice = await adapter.fetch_member(KEY, "alice")
    assert alice == Member(id="alice", display_name="alice", joined_at=START)
    you = await adapter.fetch_member(KEY, "you")
    assert you is not None and you.is_admin
    with pytest.raises(NotFound):
        await adapter.fetch_member("slack:T1", "alice")
