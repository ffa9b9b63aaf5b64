"""Pure translation of discord.py objects (built from gateway payloads) into domain events.

Each function takes what discord.py parsed from one gateway event and the
community key it belongs to, and returns a domain event, or None when the
event is none of Terreau's business (direct messages, the bot's own messages).
Event ids are stable for a given Discord fact, so a replayed delivery (after a
RESUME) is recognised as a repeat by the dispatcher and the database.

The busiest events, a guild member's message and reaction, are also translated
straight from their payloads (`posted_from_payload`, `reaction_from_payload`),
for Terreau's own parsers (`adapters.discord._parsers`); the two ways share
their event-building code, and a test holds them to the same events.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.domain import (
    BotAdded,
    BotRemoved,
    Choice,
    Member,
    MemberJoined,
    MemberLeft,
    MemberVerified,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    ThreadCreated,
    community_key,
)

if TYPE_CHECKING:
    from discord.types.emoji import PartialEmoji as EmojiPayload
    from discord.types.gateway import (
        MessageCreateEvent,
        MessageReactionAddEvent,
        MessageReactionRemoveEvent,
    )

log = logging.getLogger(__name__)

PLATFORM = "discord"
PLAIN_MESSAGE_TYPES = frozenset({0, 19})
"""The message types `posted_from_payload` reads: a member's message, and a reply."""
REPLY_TYPE = 19


def guild_key(guild_id: int) -> str:
    """Return the community key of a guild (`discord:<id>`)."""
    return community_key(PLATFORM, str(guild_id))


DIRECT_GUILD = re.compile(r"^(?P<choice>.+)@(?P<guild>\d+)$")
"""A button sent in a direct message: its choice id, `@`, the guild it belongs to."""


def direct_choice(choice: Choice, guild_id: int) -> Choice:
    """Return a choice for a direct message: Discord sends its click without the guild."""
    return Choice(id=f"{choice.id}@{guild_id}", label=choice.label)


def direct_click(custom_id: str) -> tuple[int | None, str]:
    """Return the guild and choice id of a click in a direct message (None: not ours)."""
    match = DIRECT_GUILD.match(custom_id)
    if match is None:
        return None, custom_id
    return int(match["guild"]), match["choice"]


def to_member(user: discord.Member | discord.User) -> Member:
    """Return the domain member for a discord.py member (or a bare user outside a guild).

    Manage Server (or administrator, which implies it) makes a member an admin;
    role ids let the core match the community's configured moderator roles.
    """
    if not isinstance(user, discord.Member):
        return Member(id=str(user.id), display_name=user.display_name, is_bot=user.bot)
    permissions = user.guild_permissions
    return Member(
        id=str(user.id),
        display_name=user.display_name,
        is_bot=user.bot,
        is_admin=permissions.manage_guild or permissions.administrator,
        roles=frozenset(str(role.id) for role in user.roles if not role.is_default()),
        joined_at=user.joined_at,
    )


def unknown_member(user_id: int) -> Member:
    """Return a member known only by id (a payload that carries no member object)."""
    return Member(id=str(user_id), display_name=str(user_id))


def place(channel: object) -> tuple[str, str | None]:
    """Return (channel id, thread id) for a channel or thread; a thread posts in its parent."""
    if isinstance(channel, discord.Thread):
        return str(channel.parent_id), str(channel.id)
    return str(getattr(channel, "id", channel)), None


def message_posted(
    message: discord.Message, *, member: Member | None = None
) -> MessagePosted | None:
    """Translate MESSAGE_CREATE; None outside guilds and for system messages.

    The text goes to the core whenever Discord sent it (with the Message Content
    intent): features read it, and the interaction log keeps it only when
    `[ingest] store_content` says so. `member` is the author, when already known.
    """
    if message.guild is None or message.is_system():
        return None
    channel_id, thread_id = place(message.channel)
    reference = message.reference
    reply_to = (
        reference.message_id
        if reference is not None and message.type is discord.MessageType.reply
        else None
    )
    return _posted(
        message_id=message.id,
        guild_id=message.guild.id,
        member=member or to_member(message.author),
        channel_id=channel_id,
        thread_id=thread_id,
        reply_to=reply_to,
        text=message.content,
        mentions=[user.id for user in message.mentions],
    )


def posted_from_payload(
    data: MessageCreateEvent, *, guild_id: int, channel: object, member: Member
) -> MessagePosted:
    """Translate the payload of a member's MESSAGE_CREATE (a type in `PLAIN_MESSAGE_TYPES`).

    `channel` is where discord.py would say it was posted (a channel, a thread, or
    the id of one it does not know); `member` is the author.
    """
    channel_id, thread_id = place(channel)
    reference = data.get("message_reference")
    reply_to = None
    if reference is not None and data["type"] == REPLY_TYPE:
        referenced = reference.get("message_id")
        reply_to = int(referenced) if referenced is not None else None
    return _posted(
        message_id=int(data["id"]),
        guild_id=guild_id,
        member=member,
        channel_id=channel_id,
        thread_id=thread_id,
        reply_to=reply_to,
        text=data.get("content", ""),
        mentions=[int(user["id"]) for user in data.get("mentions", ()) if user],
    )


def _posted(
    *,
    message_id: int,
    guild_id: int,
    member: Member,
    channel_id: str,
    thread_id: str | None,
    reply_to: int | None,
    text: str,
    mentions: list[int],
) -> MessagePosted:
    return MessagePosted(
        event_id=f"message:{message_id}",
        community=guild_key(guild_id),
        occurred_at=discord.utils.snowflake_time(message_id),
        member=member,
        channel_id=channel_id,
        thread_id=thread_id,
        message_id=str(message_id),
        reply_to=str(reply_to) if reply_to is not None else None,
        text=text or None,
        # Discord's own list: it survives without the Message Content intent, unlike the text.
        mentions=tuple(dict.fromkeys(str(user_id) for user_id in mentions)) if mentions else (),
    )


def message_edited(event: discord.RawMessageUpdateEvent) -> MessageEdited | None:
    """Translate MESSAGE_UPDATE when a member edited the text (not an embed refresh)."""
    message = event.message
    if event.guild_id is None or message.edited_at is None:
        return None
    channel_id, thread_id = place(message.channel)
    return MessageEdited(
        event_id=f"edit:{message.id}:{int(message.edited_at.timestamp() * 1000)}",
        community=guild_key(event.guild_id),
        occurred_at=message.edited_at,
        member=to_member(message.author),
        channel_id=channel_id,
        thread_id=thread_id,
        message_id=str(message.id),
    )


def message_deleted(
    event: discord.RawMessageDeleteEvent, *, thread_parent: int | None, now: datetime
) -> MessageDeleted | None:
    """Translate MESSAGE_DELETE; `thread_parent` is the parent channel when it was a thread."""
    if event.guild_id is None:
        return None
    cached = event.cached_message
    return MessageDeleted(
        event_id=f"delete:{event.message_id}",
        community=guild_key(event.guild_id),
        occurred_at=now,
        channel_id=str(thread_parent if thread_parent is not None else event.channel_id),
        thread_id=str(event.channel_id) if thread_parent is not None else None,
        message_id=str(event.message_id),
        member_id=str(cached.author.id) if cached is not None else None,
    )


def reaction_changed(
    event: discord.RawReactionActionEvent,
    *,
    thread_parent: int | None,
    now: datetime,
    member: Member | None = None,
) -> ReactionAdded | ReactionRemoved | None:
    """Translate MESSAGE_REACTION_ADD and _REMOVE; removals carry no member, only an id."""
    if event.guild_id is None:
        return None
    who = member or (to_member(event.member) if event.member is not None else None)
    return _reaction(
        added=event.event_type == "REACTION_ADD",
        guild_id=event.guild_id,
        channel_id=event.channel_id,
        thread_parent=thread_parent,
        message_id=event.message_id,
        user_id=event.user_id,
        emoji=str(event.emoji),
        member=who,
        now=now,
    )


def reaction_from_payload(
    data: MessageReactionAddEvent | MessageReactionRemoveEvent,
    *,
    added: bool,
    guild_id: int,
    thread_parent: int | None,
    now: datetime,
    member: Member | None,
) -> ReactionAdded | ReactionRemoved:
    """Translate the payload of a guild's MESSAGE_REACTION_ADD or _REMOVE.

    `member` is who reacted, when the payload carries their member object.
    """
    return _reaction(
        added=added,
        guild_id=guild_id,
        channel_id=int(data["channel_id"]),
        thread_parent=thread_parent,
        message_id=int(data["message_id"]),
        user_id=int(data["user_id"]),
        emoji=emoji_text(data["emoji"]),
        member=member,
        now=now,
    )


def emoji_text(emoji: EmojiPayload) -> str:
    """Return an emoji payload as discord.py's `PartialEmoji` writes it (`<:name:id>` if custom)."""
    if emoji.get("id") is None:
        return emoji.get("name") or "_"
    return str(discord.PartialEmoji.from_dict(emoji))


def _reaction(
    *,
    added: bool,
    guild_id: int,
    channel_id: int,
    thread_parent: int | None,
    message_id: int,
    user_id: int,
    emoji: str,
    member: Member | None,
    now: datetime,
) -> ReactionAdded | ReactionRemoved:
    kind = ReactionAdded if added else ReactionRemoved
    # The gateway gives reactions no id or time of their own: a reaction is named by
    # who put which emoji on which message, and the instant it reached us.
    stamp = int(now.timestamp() * 1000)
    return kind(
        event_id=f"{'react' if added else 'unreact'}:{message_id}:{user_id}:{emoji}:{stamp}",
        community=guild_key(guild_id),
        occurred_at=now,
        member=member or unknown_member(user_id),
        channel_id=str(thread_parent if thread_parent is not None else channel_id),
        thread_id=str(channel_id) if thread_parent is not None else None,
        message_id=str(message_id),
        emoji=emoji,
    )


def _join_stamp(member: discord.Member) -> int:
    joined = member.joined_at
    return int(joined.timestamp()) if joined else 0


def member_joined(member: discord.Member) -> MemberJoined:
    """Translate GUILD_MEMBER_ADD; `pending` means held at membership screening."""
    return MemberJoined(
        event_id=f"join:{member.id}:{_join_stamp(member)}",
        community=guild_key(member.guild.id),
        occurred_at=member.joined_at or discord.utils.utcnow(),
        member=to_member(member),
        screening=member.pending,
    )


def member_verified(
    member: discord.Member, *, was_pending: bool, now: datetime
) -> MemberVerified | None:
    """Translate GUILD_MEMBER_UPDATE when it takes `pending` from true to false.

    Any other update (a nickname, a role, a member who was never held) is None.
    The id names the join it ends, so a replayed update is recognised as a repeat.
    """
    if not was_pending or member.pending:
        return None
    return MemberVerified(
        event_id=f"verified:{member.id}:{_join_stamp(member)}",
        community=guild_key(member.guild.id),
        occurred_at=now,
        member=to_member(member),
    )


def member_left(event: discord.RawMemberRemoveEvent, *, now: datetime) -> MemberLeft:
    """Translate GUILD_MEMBER_REMOVE."""
    return MemberLeft(
        event_id=f"leave:{event.user.id}:{int(now.timestamp())}",
        community=guild_key(event.guild_id),
        occurred_at=now,
        member_id=str(event.user.id),
    )


def thread_created(thread: discord.Thread) -> ThreadCreated | None:
    """Translate THREAD_CREATE for a newly created thread; the owner may be unknown."""
    owner = thread.owner
    member = to_member(owner) if owner is not None else unknown_member(thread.owner_id)
    # A thread started from a message has that message's id (Discord reuses it).
    starter = thread.starter_message
    parent_message = str(starter.id) if starter is not None else None
    return ThreadCreated(
        event_id=f"thread:{thread.id}",
        community=guild_key(thread.guild.id),
        occurred_at=thread.created_at or discord.utils.snowflake_time(thread.id),
        member=member,
        channel_id=str(thread.parent_id),
        thread_id=str(thread.id),
        parent_message_id=parent_message,
    )


def bot_removed(guild_id: int, *, now: datetime) -> BotRemoved:
    """Translate GUILD_DELETE without `unavailable` (kicked, banned, or the guild deleted).

    GUILD_DELETE with `unavailable: true` is an outage, not a removal; discord.py
    reports it as `guild_unavailable` and it never reaches this function. A
    configured guild missing from READY (removed while Terreau was down) is
    translated here too.
    """
    return BotRemoved(
        event_id=f"removed:{guild_id}:{int(now.timestamp() * 1000)}",
        community=guild_key(guild_id),
        occurred_at=now,
    )


def bot_added(guild_id: int, *, now: datetime) -> BotAdded:
    """Translate GUILD_CREATE for a guild the bot (re)joined, or READY listing a guild."""
    return BotAdded(
        event_id=f"added:{guild_id}:{int(now.timestamp() * 1000)}",
        community=guild_key(guild_id),
        occurred_at=now,
    )
