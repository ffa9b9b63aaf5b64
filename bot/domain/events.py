"""Domain events: past-tense facts translated from platform payloads.

Events carry no raw payload and no link back to the adapter that produced them.
Every event has a platform event id, unique within its community, so duplicate
deliveries can be recognised and stored once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from bot.domain.model import Member

_NO_OPTIONS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """Something that happened in a community."""

    event_id: str
    community: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class MessagePosted(Event):
    """A member posted a message (in a channel or a thread, maybe as a reply)."""

    member: Member
    channel_id: str
    message_id: str
    thread_id: str | None = None
    reply_to: str | None = None
    text: str | None = None
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageEdited(Event):
    """A member edited one of their messages."""

    member: Member
    channel_id: str
    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageDeleted(Event):
    """A message was deleted; the author is not always known."""

    channel_id: str
    message_id: str
    member_id: str | None = None
    thread_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReactionAdded(Event):
    """A member reacted to a message."""

    member: Member
    channel_id: str
    message_id: str
    emoji: str
    thread_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReactionRemoved(Event):
    """A member took a reaction back."""

    member: Member
    channel_id: str
    message_id: str
    emoji: str
    thread_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberJoined(Event):
    """A member joined the community.

    `screening` is True when the platform holds the newcomer at its rules screening
    (Discord's membership screening): they see no channel until a `MemberVerified`.
    """

    member: Member
    screening: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberVerified(Event):
    """A newcomer held at screening passed it, and can now see the community's channels."""

    member: Member


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberLeft(Event):
    """A member left (or was removed from) the community."""

    member_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ThreadCreated(Event):
    """A member opened a thread."""

    member: Member
    channel_id: str
    thread_id: str
    parent_message_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandInvoked(Event):
    """A member ran `/terreau <group> <action> ...`.

    Platforms with typed options (Discord) fill `options`. Text platforms (Slack,
    console) pass what was typed after the group, action included, in `text`
    (read by `bot.command_line.read_command_line`); the command registry reads it
    with the same grammar and binds it to the declared options. `args` holds
    words already split, one per option, for callers that have no typed line.
    """

    member: Member
    channel_id: str
    group: str
    action: str
    args: tuple[str, ...] = ()
    text: str | None = None
    options: Mapping[str, str] = field(default_factory=lambda: _NO_OPTIONS)
    interaction_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChoiceMade(Event):
    """A member clicked a button or picked an option carrying a stable choice id.

    The id has the shape `feature:object:choice`, so any process can route the
    click, after any restart, without remembering the message it came from.
    """

    member: Member
    channel_id: str
    message_id: str
    choice_id: str
    interaction_id: str | None = None

    @property
    def feature(self) -> str:
        """Return the feature part of the choice id."""
        return self.choice_id.split(":", 1)[0]


@dataclass(frozen=True, kw_only=True, slots=True)
class BotRemoved(Event):
    """Terreau was removed from the community (kicked, app uninstalled, token revoked)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BotAdded(Event):
    """Terreau was added to the community again, or found it still serves it."""
