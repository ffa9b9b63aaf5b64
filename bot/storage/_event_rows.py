"""Interaction log rows, and the pure mapping from domain events to them."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from bot.domain import (
    ChoiceMade,
    CommandInvoked,
    Event,
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

BOT_META: Mapping[str, Any] = MappingProxyType({"bot": True})
"""The `meta` of rows caused by a bot: kept in the log, left out of rollups and counts."""

QUESTION = "question"
"""The `target` of a member's top-level message that asks something (has a question mark)."""


def _asks(text: str | None) -> bool:
    # The question marks of Latin, CJK (full width), Spanish (opening) and Arabic
    # script, each looked for in turn: five times cheaper than `any` over a tuple.
    return text is not None and ("?" in text or "？" in text or "¿" in text or "؟" in text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str | None) -> str | None:
    """Return `text` as UTF-8 can hold it: lone surrogates become U+FFFD, all else is kept.

    Platforms send JSON, where an escaped lone surrogate is valid; such a string
    cannot be encoded, and the database would refuse the whole row.
    """
    if text is None or text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


class InteractionRow(NamedTuple):
    """One row for the interaction log, plus what the writer needs to keep members current.

    An immutable named tuple rather than a frozen dataclass: one is built per
    event on the ingest hot path, and a tuple is three times cheaper to make.
    Build it with keywords (`interaction_from_event` builds the commonest by
    position). `member_name` and `joined_at` are not log columns: the writer uses
    them to keep the `members` table current.
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
    A member's top-level message asking something gets `target = QUESTION`, so
    questions can be found without storing text (a bot's never does). Message
    text is kept only when `store_content` is set. Bot rows get `BOT_META`.
    """
    # Messages and reactions are most of the log: their rows are built by position,
    # in field order (named alongside), which costs half what keywords do.
    if isinstance(event, MessagePosted):
        member = event.member
        top_level = not (event.reply_to or event.thread_id)
        return InteractionRow(
            community_id,
            event.event_id,
            "message" if top_level else "reply",  # kind
            event.occurred_at,
            event.channel_id,
            event.thread_id,
            member.id,  # member_id
            event.message_id,
            event.reply_to,
            QUESTION if top_level and not member.is_bot and _asks(event.text) else None,  # target
            BOT_META if member.is_bot else None,  # meta
            storable(event.text) if store_content else None,  # content
            storable(member.display_name),  # member_name
            member.joined_at,
        )
    if isinstance(event, ReactionAdded | ReactionRemoved):
        member = event.member
        return InteractionRow(
            community_id,
            event.event_id,
            "reaction" if isinstance(event, ReactionAdded) else "reaction_removed",  # kind
            event.occurred_at,
            event.channel_id,
            event.thread_id,
            member.id,  # member_id
            event.message_id,
            None,  # reply_to
            event.emoji,  # target
            BOT_META if member.is_bot else None,  # meta
            None,  # content
            storable(member.display_name),  # member_name
            member.joined_at,
        )
    return _other_event(event, community_id)


def _other_event(event: Event, community_id: int) -> InteractionRow | None:
    match event:
        case MessageEdited():
            return _member_row(
                event,
                community_id,
                "edit",
                channel_id=event.channel_id,
                thread_id=event.thread_id,
                message_id=event.message_id,
            )
        case MessageDeleted():
            return InteractionRow(
                community_id=community_id,
                event_id=event.event_id,
                kind="delete",
                channel_id=event.channel_id,
                thread_id=event.thread_id,
                member_id=event.member_id,
                message_id=event.message_id,
                occurred_at=event.occurred_at,
            )
        case MemberJoined():
            row = _member_row(event, community_id, "join")
            return row._replace(joined_at=event.member.joined_at or event.occurred_at)
        case MemberLeft():
            return InteractionRow(
                community_id=community_id,
                event_id=event.event_id,
                kind="leave",
                member_id=event.member_id,
                occurred_at=event.occurred_at,
            )
        case ThreadCreated():
            return _member_row(
                event,
                community_id,
                "thread",
                channel_id=event.channel_id,
                thread_id=event.thread_id,
                message_id=event.parent_message_id,
            )
        case CommandInvoked():
            return _member_row(
                event,
                community_id,
                "command",
                channel_id=event.channel_id,
                target=f"{event.group} {event.action}",
            )
        case ChoiceMade():
            return _member_row(
                event,
                community_id,
                "choice",
                channel_id=event.channel_id,
                message_id=event.message_id,
                target=_without_choice(event.choice_id),
            )
    log.debug("event %s (%s) is not logged", event.event_id, type(event).__name__)
    return None


def _without_choice(choice_id: str) -> str:
    """Keep `feature:object` of a click: what was chosen can be a secret vote."""
    parts = choice_id.split(":")
    return ":".join(parts[:2]) if len(parts) > 2 else parts[0]


def _member_row(
    event: MessageEdited | MemberJoined | ThreadCreated | CommandInvoked | ChoiceMade,
    community_id: int,
    kind: str,
    **fields: str | None,
) -> InteractionRow:
    member = event.member
    return InteractionRow(
        community_id=community_id,
        event_id=event.event_id,
        kind=kind,
        member_id=member.id,
        occurred_at=event.occurred_at,
        meta=BOT_META if member.is_bot else None,
        member_name=storable(member.display_name),
        joined_at=member.joined_at,
        **fields,
    )


MemberKey = tuple[int, str]


def members_of(
    rows: Sequence[InteractionRow],
) -> tuple[dict[MemberKey, dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the members seen in `rows`, and the joins and leaves that end the batch.

    Members are keyed by (community_id, member_id); their parameters are those of
    `member_seen_upsert`, and joins and leaves those of the writer's membership updates.
    """
    seen: dict[MemberKey, dict[str, Any]] = {}
    membership: dict[MemberKey, InteractionRow] = {}
    for row in rows:
        if row.member_id is None:
            continue
        member = (row.community_id, row.member_id)
        if row.member_name is not None:
            entry = seen.get(member)
            if entry is None:
                seen[member] = {
                    "community_id": row.community_id,
                    "member_id": row.member_id,
                    "display_name": row.member_name,
                    "is_bot": row.is_bot,
                    "joined_at": row.joined_at,
                    "left_at": None,
                    "first_seen_at": row.occurred_at,
                    "last_seen_at": row.occurred_at,
                }
            elif row.occurred_at >= entry["last_seen_at"]:
                entry["last_seen_at"] = row.occurred_at
                entry["display_name"] = row.member_name
                entry["is_bot"] = row.is_bot
                if row.joined_at is not None:
                    entry["joined_at"] = row.joined_at
            elif row.occurred_at < entry["first_seen_at"]:
                entry["first_seen_at"] = row.occurred_at
        if row.kind in ("join", "leave"):
            latest = membership.get(member)
            if latest is None or row.occurred_at >= latest.occurred_at:
                membership[member] = row
    joins = [
        {"b_community": c, "b_member": m, "b_at": row.joined_at or row.occurred_at}
        for (c, m), row in membership.items()
        if row.kind == "join"
    ]
    leaves = [
        {"b_community": c, "b_member": m, "b_at": row.occurred_at}
        for (c, m), row in membership.items()
        if row.kind == "leave"
    ]
    return seen, joins, leaves
