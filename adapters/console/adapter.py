"""The console chat platform: one local community in a terminal, or a replayed script.

The input syntax is described in `adapters.console.translate` (and printed by
`/help`). Bot messages and members' messages share one numbering, so `#12`
always names one message. In script mode (`echo_input=True`) every input line
shows in the transcript and members' messages are printed like the bot's; in
interactive mode the operator sees their own typing, and each message they type
is answered with its number, `  (#13)`.

Given a `Replay` (a script), the console runs on virtual time: before each
line it waits until the bot is idle, and `/wait` steps through every due
moment in order, so the same script always prints the same transcript.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from collections.abc import AsyncGenerator, Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.console._lines import LineSource, as_async_lines
from adapters.console._syntax import parse_name
from adapters.console.render import (
    Frame,
    render_cancelled_event,
    render_echo,
    render_error,
    render_member_message,
    render_number,
    render_post,
    render_role_change,
    render_scheduled_event,
    render_space_change,
    render_thread_opened,
    space_name,
)
from adapters.console.translate import (
    HELP,
    Context,
    MessageRecord,
    Outcome,
    translate_line,
)
from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Community,
    Event,
    Member,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    Post,
    ScheduledEvent,
    SentMessage,
)
from bot.ports import Clock, EventSink, Forbidden, NotFound, Unsupported
from bot.replay import Replay

log = logging.getLogger(__name__)

_BANNER = (
    "Terreau console: {community}, in #{channel} as {speaker}. "
    "Type /help for the syntax, /quit to leave."
)


class Writable(Protocol):
    """Where the console prints (`sys.stdout`, `io.StringIO`)."""

    def write(self, text: str, /) -> int:
        """Write `text`."""
        ...

    def flush(self) -> None:
        """Push buffered text out."""
        ...


class ConsoleAdapter:
    """A terminal chat serving one local community: the default and demo backend."""

    name = "console"

    def __init__(
        self,
        *,
        community: Community,
        channels: Mapping[str, str],
        clock: Clock,
        input: LineSource,
        output: Writable,
        speaker: str = "you",
        moderators: Collection[str] = ("you",),
        echo_input: bool = False,
        bot_name: str = "Terreau",
        replay: Replay | None = None,
        styled: bool | None = None,
    ) -> None:
        if not channels:
            raise ValueError("the console adapter needs at least one channel (purpose -> id)")
        try:
            self._tz = ZoneInfo(community.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"community {community.key}: unknown time zone {community.timezone!r}"
            ) from error
        self._community = community
        self._channels = dict(channels)
        self._channel_id = self._channels.get("general", next(iter(self._channels.values())))
        self._speaker = parse_name(speaker)
        self._moderators = frozenset(moderators)
        self._clock = clock
        self._input = input
        self._output = output
        # Bold and italic on a terminal; plain words when the output is piped.
        isatty = getattr(output, "isatty", None)
        self._styled = bool(isatty()) if styled is None and callable(isatty) else bool(styled)
        self._echo = echo_input
        self._bot_name = bot_name
        self._members: dict[str, Member] = {}
        self._messages: dict[int, MessageRecord] = {}
        self._labels: dict[str, int] = {}
        self._next_number = 1
        self._event_prefix = f"console-{secrets.token_hex(4)}"
        self._next_event = 1
        self._nonces: dict[str, SentMessage] = {}
        self._reader: asyncio.Task[None] | None = None
        self._replay = replay
        self._spaces: dict[str, list[str]] = {}
        self._archived: set[str] = set()
        self._events = 0
        self._event_titles: dict[str, str] = {}

    # Reading input.

    async def start(self, sink: EventSink) -> None:
        """Start the reader task that turns input lines into events for `sink`."""
        if self._reader is not None:
            raise RuntimeError("the console adapter was already started")
        if not self._echo:
            self._write(
                _BANNER.format(
                    community=self._community.name,
                    channel=self._channel_id,
                    speaker=self._speaker,
                )
            )
        self._reader = asyncio.create_task(self._read(sink), name="terreau-console-reader")

    async def stop(self) -> None:
        """Stop reading input; calling it again does nothing."""
        task = self._reader
        if task is None or task.done():
            return
        task.cancel()
        if task is not asyncio.current_task():
            await asyncio.wait({task})

    async def finished(self) -> None:
        """Return once the input is exhausted, `/quit` was read or `stop` was called."""
        task = self._reader
        if task is None:
            raise RuntimeError("the console adapter was not started")
        await asyncio.wait({task})
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error

    async def _read(self, sink: EventSink) -> None:
        lines = as_async_lines(self._input)
        line_number = 0
        try:
            async for text in lines:
                line_number += 1
                if self._replay is not None:
                    await self._replay.settle()
                if not await self._handle(text, line_number, sink):
                    break
            if self._replay is not None:
                await self._replay.settle()
        finally:
            if isinstance(lines, AsyncGenerator):
                await lines.aclose()

    async def _handle(self, text: str, line_number: int, sink: EventSink) -> bool:
        outcome = translate_line(text, self._context())
        if outcome.error is not None:
            self._write(render_error(outcome.error, line_number if self._echo else None))
            return True
        self._show(outcome)
        self._apply(outcome)
        for event in outcome.events:
            await self._deliver(sink, event, line_number)
        if outcome.help:
            self._write(HELP)
        if outcome.wait is not None and self._replay is not None:
            await self._replay.wait(outcome.wait)
        elif outcome.wait is not None:
            await self._clock.sleep_until(self._clock.now() + outcome.wait)
        return not outcome.quit

    def _context(self) -> Context:
        return Context(
            community=self._community.key,
            channels=self._channels,
            channel_id=self._channel_id,
            speaker=self._speaker,
            moderators=self._moderators,
            members=self._members,
            messages=self._messages,
            next_number=self._next_number,
            event_prefix=self._event_prefix,
            next_event=self._next_event,
            now=self._clock.now(),
            labels=self._labels,
        )

    def _show(self, outcome: Outcome) -> None:
        posted = [event for event in outcome.events if isinstance(event, MessagePosted)]
        if not self._echo:
            for event in posted:
                self._write(render_number(int(event.message_id)))
            if outcome.label is not None:
                self._write(render_number(outcome.label[1]))
            return
        for event in posted:
            frame = Frame(
                number=int(event.message_id),
                when=event.occurred_at,
                tz=self._tz,
                author=event.member.display_name,
                channel_id=event.channel_id,
                thread_of=event.thread_id,
                reply_to=event.reply_to,
            )
            self._write(render_member_message(event.text or "", frame))
        if not posted and outcome.echo:
            when = self._clock.now()
            self._write(
                render_echo(outcome.echo, when=when, tz=self._tz, channel_id=self._channel_id)
            )

    def _apply(self, outcome: Outcome) -> None:
        for record in outcome.records:
            self._messages[record.number] = record
            self._next_number = max(self._next_number, record.number + 1)
        for event in outcome.events:
            if isinstance(event, MemberJoined):
                self._members[event.member.id] = event.member
            elif isinstance(event, MemberLeft):
                self._members.pop(event.member_id, None)
        self._next_event += len(outcome.events)
        if outcome.channel_id is not None:
            self._channel_id = outcome.channel_id
        if outcome.speaker is not None:
            self._speaker = outcome.speaker
        if outcome.label is not None:
            name, number = outcome.label
            self._labels[name] = number

    async def _deliver(self, sink: EventSink, event: Event, line_number: int) -> None:
        try:
            await sink(event)
        except Exception:
            log.exception(
                "console line %d: handling %s %s failed",
                line_number,
                type(event).__name__,
                event.event_id,
            )
            self._write(
                render_error(f"handling {type(event).__name__} failed (see the log)", line_number)
            )

    # The ChatPlatform port.

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        """Print a numbered bot message; a repeated nonce returns the first send."""
        sent = self._nonces.get(nonce)
        if sent is not None:
            return sent
        self._check_community(where.community)
        if where.channel_id not in self._channels.values():
            known = ", ".join(f"#{channel}" for channel in dict.fromkeys(self._channels.values()))
            raise NotFound(f"console has no channel {where.channel_id!r} (known: {known})")
        if where.channel_id in self._archived:
            raise Forbidden(f"console channel #{where.channel_id} is archived")
        if where.thread_id is not None:
            self._check_thread(where.channel_id, where.thread_id)
        record = self._bot_record(channel_id=where.channel_id, thread_id=where.thread_id, post=post)
        self._write(render_post(post, self._frame(record), styled=self._styled))
        sent = SentMessage(
            community=where.community,
            channel_id=record.channel_id,
            message_id=record.message_id,
            thread_id=record.thread_id,
        )
        self._nonces[nonce] = sent
        return sent

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        """Return the message this session printed for `nonce` (a terminal keeps no history)."""
        sent = self._nonces.get(nonce)
        return [] if sent is None else [sent]

    async def update(self, message: SentMessage, post: Post) -> None:
        """Print the new content of a bot message, marked `(edited)`."""
        self._check_community(message.community)
        record = self._record(message.message_id)
        if record.author_id is not None:
            raise Forbidden(f"console message #{record.number} was posted by a member")
        record = dataclasses.replace(record, choice_ids=tuple(choice.id for choice in post.choices))
        self._messages[record.number] = record
        self._write(render_post(post, self._frame(record, edited=True), styled=self._styled))

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        """Open (or return the already open) thread of a channel message."""
        self._check_community(message.community)
        record = self._record(message.message_id)
        if record.audience is not None:
            raise Unsupported(f"console message #{record.number} is not in a channel")
        if record.thread_id is not None:
            raise Unsupported(f"console message #{record.number} is already in a thread")
        if not record.has_thread:
            self._messages[record.number] = dataclasses.replace(record, has_thread=True)
            self._write(
                render_thread_opened(
                    title,
                    parent=record.number,
                    channel_id=record.channel_id,
                    when=self._clock.now(),
                    tz=self._tz,
                    author=self._bot_name,
                )
            )
        return SentMessage(
            community=message.community,
            channel_id=record.channel_id,
            message_id=record.message_id,
            thread_id=record.message_id,
        )

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Answer a command or a click, shown `(only <name> sees)` when private."""
        self._check_community(to.community)
        thread_id: str | None = None
        direct = False
        if isinstance(to, ChoiceMade) and to.message_id.isdecimal():
            clicked = self._messages.get(int(to.message_id))
            if clicked is not None:
                thread_id, direct = clicked.thread_id, clicked.direct
        record = self._bot_record(
            channel_id=to.channel_id,
            thread_id=thread_id,
            post=post,
            audience=to.member.id if private or direct else None,
            direct=direct,
        )
        self._write(render_post(post, self._frame(record), styled=self._styled))

    async def whisper(self, where: ChannelRef, member_id: str, post: Post) -> None:
        """Print a post in a channel shown `(only <name> sees)`, as an unasked private answer."""
        self._check_community(where.community)
        if member_id not in self._members:
            raise NotFound(f"console community {where.community} has no member {member_id!r}")
        record = self._bot_record(
            channel_id=where.channel_id,
            thread_id=where.thread_id,
            post=post,
            audience=member_id,
            direct=False,
        )
        self._write(render_post(post, self._frame(record), styled=self._styled))

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        """Print a numbered direct message, `(DM to <name>)`."""
        self._check_community(community)
        if member_id not in self._members:
            raise NotFound(f"console community {community} has no member {member_id!r}")
        record = self._bot_record(
            channel_id=f"dm-{member_id}", post=post, audience=member_id, direct=True
        )
        self._write(render_post(post, self._frame(record), styled=self._styled))
        return SentMessage(
            community=community, channel_id=record.channel_id, message_id=record.message_id
        )

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        """Return a member seen in this session who has not left, or None."""
        self._check_community(community)
        return self._members.get(member_id)

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        """Return the present members, ordered by id, starting after `after`."""
        self._check_community(community)
        ordered = sorted(self._members.values(), key=lambda member: member.id)
        return [member for member in ordered if after is None or member.id > after][:limit]

    async def open_space(
        self, parent: ChannelRef, title: str, member_ids: Sequence[str], *, private: bool
    ) -> ChannelRef:
        """Open a console channel named after `title` (`#rust-2` when `#rust` exists)."""
        self._check_community(parent.community)
        self._check_members(member_ids)
        base = space_name(title)
        channel_id, suffix = base, 1
        while channel_id in self._channels.values():
            suffix += 1
            channel_id = f"{base}-{suffix}"
        self._channels[f"space:{channel_id}"] = channel_id
        self._spaces[channel_id] = list(dict.fromkeys(member_ids))
        names = [self._members[member_id].display_name for member_id in member_ids]
        self._write(
            render_space_change(
                channel_id, "opened", names, private=private, when=self._clock.now(), tz=self._tz
            )
        )
        return ChannelRef(community=parent.community, channel_id=channel_id)

    async def add_to_space(self, space: ChannelRef, member_ids: Sequence[str]) -> None:
        """Add members to a console space, naming those not already in it."""
        members = self._space(space)
        self._check_members(member_ids)
        new = [member_id for member_id in dict.fromkeys(member_ids) if member_id not in members]
        if not new:
            return
        members.extend(new)
        names = [self._members[member_id].display_name for member_id in new]
        self._write(
            render_space_change(
                space.channel_id, "added", names, private=None, when=self._clock.now(), tz=self._tz
            )
        )

    async def archive_space(self, space: ChannelRef) -> None:
        """Archive a console space: the bot posts no more in it."""
        self._space(space)
        if space.channel_id in self._archived:
            return
        self._archived.add(space.channel_id)
        self._write(
            render_space_change(
                space.channel_id, "archived", [], private=None, when=self._clock.now(), tz=self._tz
            )
        )

    async def create_invite(self, where: ChannelRef) -> str:
        """Refuse: the console has no invitation links (`/join bob` brings a member in)."""
        raise Unsupported("the console has no invitation links")

    async def invite_uses(self, community: str) -> Mapping[str, int]:
        """Refuse: the console has no invitation links."""
        raise Unsupported("the console has no invitation links")

    async def create_scheduled_event(self, event: ScheduledEvent) -> str:
        """Print the event, as a calendar would list it, and return its number."""
        self._check_community(event.community)
        self._events += 1
        self._write(
            render_scheduled_event(event, self._events, when=self._clock.now(), tz=self._tz)
        )
        self._event_titles[f"event{self._events}"] = event.title
        return f"event{self._events}"

    async def cancel_scheduled_event(self, community: str, event_id: str) -> None:
        """Print that the event is off the calendar."""
        self._check_community(community)
        title = self._event_titles.pop(event_id, None)
        if title is None:
            raise NotFound(f"console community {community} has no event {event_id!r}")
        self._write(
            render_cancelled_event(
                event_id.removeprefix("event"), title, when=self._clock.now(), tz=self._tz
            )
        )

    async def set_role(self, community: str, role_id: str, member_ids: Sequence[str]) -> None:
        """Make `member_ids` the only console members holding `role_id`, and say so."""
        self._check_community(community)
        missing = [member_id for member_id in member_ids if member_id not in self._members]
        if missing:
            raise NotFound(f"console community {community} has no member {missing[0]!r}")
        given: list[str] = []
        taken: list[str] = []
        for member_id, member in sorted(self._members.items()):
            holds = role_id in member.roles
            if member_id in member_ids and not holds:
                roles = member.roles | {role_id}
                given.append(member.display_name)
            elif member_id not in member_ids and holds:
                roles = member.roles - {role_id}
                taken.append(member.display_name)
            else:
                continue
            self._members[member_id] = dataclasses.replace(member, roles=frozenset(roles))
        self._write(render_role_change(role_id, given, taken, when=self._clock.now(), tz=self._tz))

    # Bookkeeping.

    def _check_community(self, community: str) -> None:
        if community != self._community.key:
            raise NotFound(f"the console serves community {self._community.key}, not {community}")

    def _check_members(self, member_ids: Sequence[str]) -> None:
        missing = [member_id for member_id in member_ids if member_id not in self._members]
        if missing:
            raise NotFound(f"console community {self._community.key} has no member {missing[0]!r}")

    def _space(self, space: ChannelRef) -> list[str]:
        self._check_community(space.community)
        members = self._spaces.get(space.channel_id)
        if members is None:
            raise NotFound(f"console channel #{space.channel_id} is not a space Terreau opened")
        return members

    def _check_thread(self, channel_id: str, thread_id: str) -> None:
        parent = self._messages.get(int(thread_id)) if thread_id.isdecimal() else None
        if parent is None or not parent.has_thread or parent.channel_id != channel_id:
            raise NotFound(f"console channel #{channel_id} has no thread {thread_id!r}")

    def _record(self, message_id: str) -> MessageRecord:
        record = self._messages.get(int(message_id)) if message_id.isdecimal() else None
        if record is None or record.deleted:
            raise NotFound(f"console has no message {message_id!r}")
        return record

    def _bot_record(
        self,
        *,
        channel_id: str,
        post: Post,
        thread_id: str | None = None,
        audience: str | None = None,
        direct: bool = False,
    ) -> MessageRecord:
        record = MessageRecord(
            number=self._next_number,
            channel_id=channel_id,
            thread_id=thread_id,
            choice_ids=tuple(choice.id for choice in post.choices),
            audience=audience,
            direct=direct,
        )
        self._messages[record.number] = record
        self._next_number += 1
        return record

    def _frame(self, record: MessageRecord, *, edited: bool = False) -> Frame:
        return Frame(
            number=record.number,
            when=self._clock.now(),
            tz=self._tz,
            author=self._bot_name,
            channel_id=record.channel_id,
            thread_of=record.thread_id,
            private_to=None if record.direct else record.audience,
            direct_to=record.audience if record.direct else None,
            edited=edited,
        )

    def _write(self, text: str) -> None:
        self._output.write(text + "\n")
        self._output.flush()
