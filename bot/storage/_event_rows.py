"""Interaction log rows, and the pure mapping from domain events to them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from bot.domain import (
    ChoiceMade,
    CommandInvoked,
    Event,
    Member,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    ThreadCreated,
)

log = logging.getLogger(__name__)

_BOT_META: Mapping[str, Any] = MappingProxyType({"bot": True})


@dataclass(frozen=True, kw_only=True, slots=True)
class InteractionRow:
    """One row for the interaction log, plus what the writer needs to keep members current.

    `member_name` and `joined_at` are not log columns: the writer uses them to
    refresh the `members` table. Bot rows carry `meta = {"bot": True}`.
    """

    community_id: int
    event_id: str
    kind: str
    occurred_at: datetime
    channel_id: str | None = None
    thread_id: str | None = None
    member_id: str | None = None
    message_id: str | None = None
    reply_to: str | None = None
    target: str | None = None
    meta: Mapping[str, Any] | None = None
    content: str | None = None
    member_name: str | None = None
    joined_at: datetime | None = None

    @property
    def is_bot(self) -> bool:
        """Return whether a bot (ours or another) caused this row."""
        return bool(self.meta and self.meta.get("bot"))


def interaction_from_event(
    event: Event, community_id: int, *, store_content: bool
) -> InteractionRow | None:
    """Map a domain event to its log row, or None for events the log does not keep.

    A message is a `reply` when it answers a message or is posted in a thread.
    Message text is kept only when `store_content` is set.
    """
    base: dict[str, Any] = {
        "community_id": community_id,
        "event_id": event.event_id,
        "occurred_at": event.occurred_at,
    }
    match event:
        case MessagePosted():
            kind = "reply" if (event.reply_to or event.thread_id) else "message"
            return InteractionRow(
                **base,
                **_member(event.member),
                kind=kind,
                channel_id=event.channel_id,
                thread_id=event.thread_id,
                message_id=event.message_id,
                reply_to=event.reply_to,
                content=event.text if store_content else None,
            )
        case MessageEdited():
            return InteractionRow(
                **base,
                **_member(event.member),
                kind="edit",
                channel_id=event.channel_id,
                thread_id=event.thread_id,
                message_id=event.message_id,
            )
        case MessageDeleted():
            return InteractionRow(
                **base,
                kind="delete",
                member_id=event.member_id,
                channel_id=event.channel_id,
                thread_id=event.thread_id,
                message_id=event.message_id,
            )
        case ReactionAdded() | ReactionRemoved():
            return InteractionRow(
                **base,
                **_member(event.member),
                kind="reaction" if isinstance(event, ReactionAdded) else "reaction_removed",
                channel_id=event.channel_id,
                thread_id=event.thread_id,
                message_id=event.message_id,
                target=event.emoji,
            )
        case MemberJoined():
            fields = _member(event.member)
            fields["joined_at"] = event.member.joined_at or event.occurred_at
            return InteractionRow(**base, **fields, kind="join")
        case MemberLeft():
            return InteractionRow(**base, kind="leave", member_id=event.member_id)
        case ThreadCreated():
            return InteractionRow(
                **base,
                **_member(event.member),
                kind="thread",
                channel_id=event.channel_id,
                thread_id=event.thread_id,
                message_id=event.parent_message_id,
            )
        case CommandInvoked():
            return InteractionRow(
                **base,
                **_member(event.member),
                kind="command",
                channel_id=event.channel_id,
                target=f"{event.group} {event.action}",
            )
        case ChoiceMade():
            return InteractionRow(
                **base,
                **_member(event.member),
                kind="choice",
                channel_id=event.channel_id,
                message_id=event.message_id,
                target=event.choice_id,
            )
    log.debug("event %s (%s) is not logged", event.event_id, type(event).__name__)
    return None


def _member(member: Member) -> dict[str, Any]:
    return {
        "member_id": member.id,
        "member_name": member.display_name,
        "joined_at": member.joined_at,
        "meta": _BOT_META if member.is_bot else None,
    }
