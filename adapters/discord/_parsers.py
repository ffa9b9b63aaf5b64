"""Terreau's own parsers for the busiest gateway events: from the payload to a domain event.

For each MESSAGE_CREATE, discord.py builds a `Message` (its author, a `Member`, the
mentions, embeds, attachments, flags, reference), dispatches it, and starts a task
for `on_message`, which reads a dozen of its fields to build the domain event.
A guild member's messages and reactions are most of a community's gateway traffic,
so for MESSAGE_CREATE, MESSAGE_REACTION_ADD and MESSAGE_REACTION_REMOVE these
parsers read the payload themselves, build the domain event with `translate`'s
payload functions (the author's domain member from the member cache, which builds
a discord.py member only when the payload's member changed), and hand it to the
core at once (`TerreauClient.deliver_now`: no task unless the core has to wait).
Since they read kept members at once, the role and guild update parsers are wrapped
too: the guild's kept members are forgotten as the update is parsed.

Whatever they do not read themselves goes to discord.py's own parser, and from
there to the client's handlers as before: direct messages, guilds Terreau does not
serve or discord.py does not hold, the bot's own messages and reactions, authors
discord.py holds as members (the member cache is off: only the bot itself), message
types other than a member's message or reply (system messages, commands, poll
results), messages that carry a thread, a poll or an interaction (discord.py updates
its state from those), and any payload they cannot read: discord.py's parser has
the last word on it, as it would without them.

An event these parsers deliver is handled as its frame is read; what discord.py
dispatches starts a turn of the event loop later, as it always did. So a message may
reach the core before the join read just ahead of it: the core never relied on that
order (each handler may wait, and the log is settled where a read needs it).

What discord.py's parsers would also have done, and why it is not missed: a
message goes to no message cache (the client has none, `max_messages=None`, so
edits, deletes and reactions never find one either way); no `message`,
`raw_reaction_add` or `raw_reaction_remove` is dispatched (Terreau's client is the
only listener; it waits for none of them); the channel's `last_message_id` is set,
as discord.py sets it.

discord.py's internals used here, pinned by pyproject.toml's version range:
`ConnectionState.parsers`, the table `DiscordWebSocket` calls each event's parser
from (`_screening.py` wraps two of its entries the same way), and the `Member`
constructor from a payload, as discord.py's parsers call it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container
from typing import TYPE_CHECKING, Any

import discord
from discord import utils
from discord.gateway import DiscordWebSocket

from adapters.discord import translate
from adapters.discord._members import MemberCache
from bot.ports import Clock

if TYPE_CHECKING:
    from discord.types.gateway import (
        MessageCreateEvent,
        MessageReactionAddEvent,
        MessageReactionRemoveEvent,
    )
    from discord.types.member import MemberWithUser

    from bot.domain import Event, MessagePosted, ReactionAdded, ReactionRemoved

log = logging.getLogger(__name__)

HOT_EVENTS = ("MESSAGE_CREATE", "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE")
"""The gateway events these parsers read; discord.py's own stay as their fallbacks."""
ROLE_EVENTS = ("GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE", "GUILD_ROLE_DELETE", "GUILD_UPDATE")
"""Events after which a guild's kept members are forgotten, before the next event is read."""
_POSTED_BY_DISCORD_PY = ("thread", "interaction", "interaction_metadata", "poll")
"""Keys of a message payload from which discord.py updates its state: its parser reads those."""
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)
"""What a payload these parsers cannot read raises: discord.py's parser then has it."""
_HELD_CHANNELS = (
    discord.TextChannel,
    discord.VoiceChannel,
    discord.Thread,
    discord.StageChannel,
)
"""The channels whose `last_message_id` discord.py's MESSAGE_CREATE parser sets."""


class HotParsers:
    """Parse a guild member's messages and reactions straight into domain events."""

    def __init__(
        self,
        client: discord.Client,
        *,
        served: Container[int],
        members: MemberCache,
        clock: Clock,
        deliver: Callable[[Event], None],
    ) -> None:
        self._client = client
        self._state = client._connection
        self._served = served
        self._members = members
        self._clock = clock
        self._deliver = deliver
        self.fallback: dict[str, Callable[[Any], None]] = {}
        """discord.py's own parsers of the events replaced (or wrapped) here."""

    def install(self) -> None:
        """Put these parsers in the client's table, keeping discord.py's as fallbacks."""
        parsers = self._state.parsers
        self.fallback = {event: parsers[event] for event in (*HOT_EVENTS, *ROLE_EVENTS)}
        parsers["MESSAGE_CREATE"] = self.message_create
        parsers["MESSAGE_REACTION_ADD"] = self.reaction_add
        parsers["MESSAGE_REACTION_REMOVE"] = self.reaction_remove
        for event in ROLE_EVENTS:
            parsers[event] = self._forgetting_members(event)

    def _forgetting_members(self, event: str) -> Callable[[Any], None]:
        parse = self.fallback[event]
        members = self._members

        def parse_then_forget(data: Any) -> None:
            # Before the next frame: these parsers read the kept members at once, so
            # forgetting in the dispatched handler, a loop turn later, would be late.
            parse(data)
            guild_id = data.get("guild_id") or data.get("id")
            if guild_id is not None:
                members.forget_guild(int(guild_id))

        return parse_then_forget

    def message_create(self, data: MessageCreateEvent) -> None:
        """Deliver a guild member's message; hand anything else to discord.py's parser."""
        try:
            event = self._posted(data)
        except _MALFORMED:
            log.debug("MESSAGE_CREATE %s left to discord.py", data.get("id"), exc_info=True)
            event = None
        if event is None:
            self.fallback["MESSAGE_CREATE"](data)
        else:
            self._deliver(event)

    def reaction_add(self, data: MessageReactionAddEvent) -> None:
        """Deliver a guild member's reaction; hand anything else to discord.py's parser."""
        try:
            event = self._reaction(data, added=True, member_data=data.get("member"))
        except _MALFORMED:
            log.debug("MESSAGE_REACTION_ADD left to discord.py", exc_info=True)
            event = None
        if event is None:
            self.fallback["MESSAGE_REACTION_ADD"](data)
        else:
            self._deliver(event)

    def reaction_remove(self, data: MessageReactionRemoveEvent) -> None:
        """Deliver a reaction taken back; hand anything else to discord.py's parser."""
        try:
            # discord.py reads no member from a removal: Discord sends none.
            event = self._reaction(data, added=False, member_data=None)
        except _MALFORMED:
            log.debug("MESSAGE_REACTION_REMOVE left to discord.py", exc_info=True)
            event = None
        if event is None:
            self.fallback["MESSAGE_REACTION_REMOVE"](data)
        else:
            self._deliver(event)

    def _posted(self, data: MessageCreateEvent) -> MessagePosted | None:
        guild = self._guild(data)
        author = data["author"]
        author_id = int(author["id"])
        user = self._client.user
        if (
            guild is None
            or data["type"] not in translate.PLAIN_MESSAGE_TYPES
            or any(key in data for key in _POSTED_BY_DISCORD_PY)
            or (user is not None and author_id == user.id)
            or guild.get_member(author_id) is not None
        ):
            return None
        member_data = data.get("member")
        if member_data is None:  # a webhook's message, or one Discord sent without it
            member = translate.to_member(discord.User(state=self._state, data=author))
        else:
            member = self._members.of_payload(guild, author, member_data, self._state)
        channel_id = int(data["channel_id"])
        channel = guild.get_channel_or_thread(channel_id)
        event = translate.posted_from_payload(
            data, guild_id=guild.id, channel=channel or channel_id, member=member
        )
        if channel is not None and channel.__class__ in _HELD_CHANNELS:
            channel.last_message_id = int(data["id"])
        return event

    def _reaction(
        self,
        data: MessageReactionAddEvent | MessageReactionRemoveEvent,
        *,
        added: bool,
        member_data: MemberWithUser | None,
    ) -> ReactionAdded | ReactionRemoved | None:
        guild = self._guild(data)
        user = self._client.user
        if guild is None or (user is not None and int(data["user_id"]) == user.id):
            return None
        member = (
            self._members.of_payload(guild, member_data["user"], member_data, self._state)
            if member_data is not None
            else None
        )
        thread = guild.get_thread(int(data["channel_id"]))
        return translate.reaction_from_payload(
            data,
            added=added,
            guild_id=guild.id,
            thread_parent=thread.parent_id if thread is not None else None,
            now=self._clock.now(),
            member=member,
        )

    def _guild(
        self, data: MessageCreateEvent | MessageReactionAddEvent | MessageReactionRemoveEvent
    ) -> discord.Guild | None:
        """Return the guild of an event these parsers read: served, and held by discord.py."""
        guild_id = data.get("guild_id")
        if guild_id is None:
            return None
        number = int(guild_id)
        return self._client.get_guild(number) if number in self._served else None


class HotFrames(DiscordWebSocket):
    """A gateway connection that hands the busiest events' frames straight to their parsers.

    For every frame, discord.py's `received_message` dispatches `socket_event_type`
    (a debug log line, a look for listeners, a handler looked up and missed), logs the
    whole payload at debug level and walks the connection's listeners: a third of
    the time it spends on a message. Terreau listens to none of that. A frame of a
    hot event (`HOT_EVENTS`, a dispatch) goes from JSON to its parser with what the
    connection must still note: the sequence number for RESUME, the keep-alive's
    tick, and the raw-receive hook of discord.py's debug events. Any other frame,
    or any frame while something waits on the connection (`wait_for`), goes through
    discord.py's own `received_message`, which reads its JSON again.

    The class is created by `DiscordWebSocket.from_client` as discord.py's own
    (`connect` in `_gateway.py`); `received_message`, `_discord_parsers`, `_keep_alive`,
    `_dispatch_listeners`, `_decompressor` and `log_receive` are discord.py's, pinned
    by pyproject.toml's version range.
    """

    async def received_message(self, msg: Any, /) -> None:
        """Parse a hot event's frame here; hand any other frame to discord.py."""
        if type(msg) is bytes:
            msg = self._decompressor.decompress(msg)
            if msg is None:  # a partial frame
                return
        payload = utils._from_json(msg)
        event = payload.get("t")
        if (
            event not in HOT_EVENTS
            or payload.get("op") != self.DISPATCH
            or self._dispatch_listeners
            or type(payload.get("d")) is not dict
        ):
            await super().received_message(msg)
            return
        self.log_receive(msg)
        sequence = payload.get("s")
        if sequence is not None:
            self.sequence = sequence
        if self._keep_alive:
            self._keep_alive.tick()
        self._discord_parsers[event](payload["d"])
