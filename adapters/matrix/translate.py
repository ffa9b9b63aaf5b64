"""Matrix events, as the client-server API sends them, translated into domain events.

Pure functions over the wire dicts: the adapter looks up what they cannot know
(who a redacted event belonged to, which choices a message offers) and passes it in.

- `m.room.message` is a `MessagePosted` (`m.thread` gives the thread,
  `m.in_reply_to` the message replied to, `m.mentions` the members named), an
  edit (`m.replace`) a `MessageEdited`, and a message starting with the command
  prefix a `CommandInvoked`, read with the core's one command-line grammar.
- `m.reaction` (`m.annotation`) is a `ReactionAdded`.
- `m.room.member` in the community's home room (its space, or its first room)
  is a `MemberJoined` or a `MemberLeft`; a name change is neither.
- `m.room.redaction` is a `MessageDeleted` or a `ReactionRemoved`, depending on
  what it redacted. A redacted reaction keeps no relation, so the adapter
  remembers the reactions it saw; taking back one it never saw (from before a
  restart) is not logged.

The event id is each event's id, so a redelivered event is stored once.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict
from urllib.parse import unquote

from bot.command_line import read_command_line
from bot.domain import (
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
)

log = logging.getLogger(__name__)

Wire = Mapping[str, Any]

HTML_FORMAT = "org.matrix.custom.html"
_PILL = re.compile(
    r"<a\s[^>]*href=[\"']https://matrix\.to/#/((?:@|%40)[^\"'?]+)[^\"']*[\"'][^>]*>.*?</a>",
    re.DOTALL | re.IGNORECASE,
)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


class _Base(TypedDict):
    event_id: str
    community: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Where:
    """The room an event arrived in, as the adapter knows it."""

    community: str
    room_id: str
    home: bool
    """Whether membership of this room is membership of the community."""
    listed: bool = True
    """Whether members' messages here are the community's (False: a direct room)."""


def occurred_at(event: Wire) -> datetime:
    """Return when the homeserver received an event (`origin_server_ts`)."""
    stamp = event.get("origin_server_ts")
    if not isinstance(stamp, int):
        return datetime.now(UTC)
    return datetime.fromtimestamp(stamp / 1000, tz=UTC)


def relation(event: Wire) -> Wire:
    """Return the event's `m.relates_to`, or an empty mapping."""
    content = event.get("content") or {}
    related = content.get("m.relates_to") if isinstance(content, Mapping) else None
    return related if isinstance(related, Mapping) else {}


def command_text(body: str, prefix: str) -> str | None:
    """Return what follows the command prefix (`!terreau`), or None if `body` is no command."""
    text = body.replace("\xa0", " ").strip()
    if text == prefix:
        return ""
    if text.startswith(prefix) and text[len(prefix)].isspace():
        return text[len(prefix) :].strip()
    return None


def command_source(content: Wire) -> str:
    """Return a message's text with each member pill as the user id it links to.

    Clients put a pill's display name in `body` and the user id only in the HTML
    (`<a href="https://matrix.to/#/@alice:example.org">Alice</a>`); a command naming
    a member needs the id.
    """
    body = str(content.get("body") or "")
    formatted = content.get("formatted_body")
    if content.get("format") != HTML_FORMAT or not isinstance(formatted, str):
        return body
    if "matrix.to/#/@" not in formatted and "matrix.to/#/%40" not in formatted:
        return body
    text = _PILL.sub(lambda match: unquote(match.group(1)), formatted)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def translate(event: Wire, where: Where, member: Member, *, prefix: str) -> list[Event]:
    """Translate one timeline event sent by `member` into domain events (maybe none)."""
    kind = event.get("type")
    event_id = str(event.get("event_id") or "")
    if not event_id:
        return []
    base = _Base(event_id=event_id, community=where.community, occurred_at=occurred_at(event))
    content = event.get("content") or {}
    related = relation(event)
    if kind == "m.room.message" and isinstance(content, Mapping):
        if related.get("rel_type") == "m.replace":
            if not where.listed:
                return []
            return [
                MessageEdited(
                    **base,
                    member=member,
                    channel_id=where.room_id,
                    message_id=str(related.get("event_id") or ""),
                )
            ]
        typed = (
            command_text(command_source(content), prefix)
            if content.get("msgtype") == "m.text"
            else None
        )
        if typed is not None:
            line = read_command_line(typed)
            return [
                CommandInvoked(
                    **base,
                    member=member,
                    channel_id=where.room_id,
                    group=line.group,
                    action=line.action,
                    text=line.text,
                    interaction_id=event_id,
                )
            ]
        if not where.listed:
            return []
        return [_posted(base, content, related, where, member)]
    if not where.listed:
        return []
    if kind == "m.reaction" and related.get("rel_type") == "m.annotation":
        return [
            ReactionAdded(
                **base,
                member=member,
                channel_id=where.room_id,
                message_id=str(related.get("event_id") or ""),
                emoji=str(related.get("key") or ""),
            )
        ]
    if kind == "m.room.member" and where.home:
        return _membership(event, base, member)
    return []


def redacted(redaction: Wire, where: Where, target: Wire | None, member: Member) -> list[Event]:
    """Translate a redaction of `target` (the redacted event, as the server now shows it)."""
    event_id = str(redaction.get("event_id") or "")
    if not event_id or not where.listed:
        return []
    base = _Base(event_id=event_id, community=where.community, occurred_at=occurred_at(redaction))
    redacts = str(redaction.get("redacts") or (redaction.get("content") or {}).get("redacts") or "")
    if target is not None and target.get("type") == "m.reaction":
        related = relation(target)
        if not related:
            log.debug("reaction %s was redacted before Terreau saw what it was", redacts)
            return []
        return [
            ReactionRemoved(
                **base,
                member=member,
                channel_id=where.room_id,
                message_id=str(related.get("event_id") or ""),
                emoji=str(related.get("key") or ""),
            )
        ]
    if target is not None and target.get("type") != "m.room.message":
        return []
    author = None if target is None else target.get("sender")
    return [
        MessageDeleted(
            **base,
            channel_id=where.room_id,
            message_id=redacts,
            member_id=str(author) if author else None,
        )
    ]


def _posted(
    base: _Base, content: Wire, related: Wire, where: Where, member: Member
) -> MessagePosted:
    thread_id: str | None = None
    reply_to: str | None = None
    replied = related.get("m.in_reply_to")
    replied_id = replied.get("event_id") if isinstance(replied, Mapping) else None
    if related.get("rel_type") == "m.thread":
        thread_id = str(related.get("event_id") or "") or None
        if not related.get("is_falling_back") and replied_id:
            reply_to = str(replied_id)
    elif replied_id:
        reply_to = str(replied_id)
    mentioned = content.get("m.mentions")
    user_ids = mentioned.get("user_ids") if isinstance(mentioned, Mapping) else None
    mentions = tuple(dict.fromkeys(str(user) for user in user_ids or () if isinstance(user, str)))
    return MessagePosted(
        **base,
        member=member,
        channel_id=where.room_id,
        message_id=base["event_id"],
        thread_id=thread_id,
        reply_to=reply_to,
        text=_without_reply_fallback(str(content.get("body") or ""), reply_to is not None),
        mentions=mentions,
    )


def _without_reply_fallback(body: str, is_reply: bool) -> str:
    """Drop the quoted `> <@someone> ...` lines older clients put before a reply's text."""
    if not is_reply or not body.startswith("> <"):
        return body
    lines = body.split("\n")
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    if lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def _membership(event: Wire, base: _Base, member: Member) -> list[Event]:
    content = event.get("content") or {}
    unsigned = event.get("unsigned") or {}
    before = (unsigned.get("prev_content") or {}).get("membership")
    now = content.get("membership")
    user_id = str(event.get("state_key") or "")
    if not user_id:
        return []
    if now == "join" and before != "join":
        return [MemberJoined(**base, member=member)]
    if now in ("leave", "ban") and before == "join":
        return [MemberLeft(**base, member_id=user_id)]
    return []
