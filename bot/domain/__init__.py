"""Platform-neutral facts and messages: what adapters translate to and render from."""

from __future__ import annotations

from bot.domain.events import (
    BotAdded,
    BotRemoved,
    ChoiceMade,
    CommandInvoked,
    Event,
    MemberJoined,
    MemberLeft,
    MemberVerified,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    ThreadCreated,
)
from bot.domain.markup import Block, Span
from bot.domain.mentions import (
    ChannelMention,
    Mention,
    channel_marker,
    literal,
    mention_marker,
    strip_markers,
)
from bot.domain.model import ChannelRef, Community, Member, ScheduledEvent, community_key
from bot.domain.posts import Choice, Post, SentMessage, post_from_dict, post_to_dict

__all__ = [
    "Block",
    "BotAdded",
    "BotRemoved",
    "ChannelMention",
    "ChannelRef",
    "Choice",
    "ChoiceMade",
    "CommandInvoked",
    "Community",
    "Event",
    "Member",
    "MemberJoined",
    "MemberLeft",
    "MemberVerified",
    "Mention",
    "MessageDeleted",
    "MessageEdited",
    "MessagePosted",
    "Post",
    "ReactionAdded",
    "ReactionRemoved",
    "ScheduledEvent",
    "SentMessage",
    "Span",
    "ThreadCreated",
    "channel_marker",
    "community_key",
    "literal",
    "mention_marker",
    "post_from_dict",
    "post_to_dict",
    "strip_markers",
]
