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
from bot.domain.model import ChannelRef, Community, Member, community_key
from bot.domain.posts import (
    Choice,
    Mention,
    Post,
    SentMessage,
    mention_marker,
    post_from_dict,
    post_to_dict,
    strip_markers,
)

__all__ = [
    "BotAdded",
    "BotRemoved",
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
    "SentMessage",
    "ThreadCreated",
    "community_key",
    "mention_marker",
    "post_from_dict",
    "post_to_dict",
    "strip_markers",
]
