"""Pure translation of Slack payloads (Events API envelopes, block actions) into domain events.

Each function reads one payload as Slack documents it and returns a domain event,
or None when the payload is not something the core cares about (bot messages,
Terreau's own messages, channel joins, subtypes that carry no member activity).
Event ids are Slack's own (`event_id` of the envelope, `trigger_id` of a click),
so a retried delivery or a replayed Socket Mode envelope carries the same id and
the core's dispatcher drops the repeat. `bot_present` and `bot_revoked` state what
the adapter found at start-up (a bot token that works, or one Slack revoked).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from adapters.slack.blocks import SELECT_ACTION
from bot.domain import (
    BotAdded,
    BotRemoved,
    ChoiceMade,
    Event,
    Member,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    community_key,
)

log = logging.getLogger(__name__)

Payload = Mapping[str, Any]

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]*)(?:\|([^>]*))?>")
_ESCAPED = re.compile("&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
# Subtypes that are a member's own message; the others are system notices or bots.
_MEMBER_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})


def timestamp(value: object) -> datetime | None:
    """Return a Slack timestamp (`"1700000000.000100"` or seconds) as an aware UTC datetime."""
    try:
        return datetime.fromtimestamp(float(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def member_from_user(user: Payload) -> Member:
    """Return a member from a Slack user object (`users.info`, `team_join`)."""
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user["id"]
    )
    return Member(
        id=str(user["id"]),
        display_name=str(name),
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        is_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
    )


def translate_events(
    envelope: Payload,
    *,
    own_user_ids: Collection[str] = (),
    member: Callable[[str], Member] | None = None,
) -> tuple[Event, ...]:
    """Translate an Events API envelope into the domain events it states (usually one).

    `team_access_revoked` (Enterprise Grid) names every workspace the app lost at
    once: each becomes its own `BotRemoved`, so those workspaces' departure grace
    starts and every other workspace goes on.
    """
    event = envelope.get("event")
    if isinstance(event, Mapping) and event.get("type") == _ACCESS_REVOKED:
        return _access_revoked(envelope, event)
    translated = translate_event(envelope, own_user_ids=own_user_ids, member=member)
    return () if translated is None else (translated,)


def translate_event(
    envelope: Payload,
    *,
    own_user_ids: Collection[str] = (),
    member: Callable[[str], Member] | None = None,
) -> Event | None:
    """Translate an Events API envelope (`event_callback`) into a domain event, or None.

    `member` says who a user id is (a name already known); by default a member is
    known by their id alone, and `display_name` is that id.
    """
    event = envelope.get("event")
    team_id = envelope.get("team_id")
    event_id = envelope.get("event_id")
    if not isinstance(event, Mapping) or not team_id or not event_id:
        return None
    translator = _EVENTS.get(str(event.get("type")))
    if translator is None:
        return None
    occurred = (
        timestamp(event.get("event_ts"))
        or timestamp(envelope.get("event_time"))
        or datetime.fromtimestamp(0, tz=UTC)
    )
    base = {
        "event_id": str(event_id),
        "community": community_key("slack", str(team_id)),
        "occurred_at": occurred,
    }
    try:
        return translator(event, base, _Reading(frozenset(own_user_ids), member or _member))
    except (KeyError, TypeError, ValueError) as error:
        log.warning("malformed %s event %s: %r", event.get("type"), event_id, error)
        return None


def _member(user_id: str) -> Member:
    return Member(id=user_id, display_name=user_id)


class _Reading(NamedTuple):
    """What a translator needs besides the event: Terreau's own ids, and who a user is."""

    own: frozenset[str]
    member: Callable[[str], Member]


def _is_bot(message: Payload, own: frozenset[str]) -> bool:
    return bool(
        message.get("bot_id")
        or message.get("subtype") == "bot_message"
        or not message.get("user")
        or message.get("user") in own
        or message.get("user") == "USLACKBOT"
    )


def _thread(message: Payload) -> str | None:
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != message.get("ts"):
        return str(thread_ts)
    return None


def _message(event: Payload, base: dict[str, Any], reading: _Reading) -> Event | None:
    subtype = event.get("subtype")
    if subtype == "message_changed":
        return _edited(event, base, reading)
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        author = previous.get("user")
        return MessageDeleted(
            **base,
            channel_id=str(event["channel"]),
            message_id=str(event["deleted_ts"]),
            member_id=str(author) if author else None,
            thread_id=_thread(previous),
        )
    if subtype not in _MEMBER_SUBTYPES or _is_bot(event, reading.own):
        return None
    text = str(event.get("text") or "")
    return MessagePosted(
        **base,
        member=reading.member(str(event["user"])),
        channel_id=str(event["channel"]),
        message_id=str(event["ts"]),
        thread_id=_thread(event),
        text=as_typed(text) or None,
        mentions=tuple(dict.fromkeys(_USER_MENTION.findall(text))),
    )


def as_typed(text: str) -> str:
    """Return a message's text as the member typed it, from Slack's markup.

    Slack escapes `&`, `<` and `>` and turns a typed address into a link
    (`<https://x.org|x.org>`); features compare typed answers with their own text, so
    both are undone. References to members and channels (`<@U…>`, `<#C…>`) are kept.
    """
    linked = _LINK.sub(lambda link: link.group(2) or link.group(1), text)
    return _ESCAPED.sub(lambda entity: _UNESCAPED[entity.group(1)], linked)


def _edited(event: Payload, base: dict[str, Any], reading: _Reading) -> Event | None:
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    if _is_bot(message, reading.own) or message.get("text") == previous.get("text"):
        # Unfurls and thread-reply counters also arrive as `message_changed`.
        return None
    return MessageEdited(
        **base,
        member=reading.member(str(message["user"])),
        channel_id=str(event["channel"]),
        message_id=str(message["ts"]),
        thread_id=_thread(message),
    )


def _reaction(event: Payload, base: dict[str, Any], reading: _Reading) -> Event | None:
    item = event.get("item") or {}
    if item.get("type") != "message" or event.get("user") in reading.own:
        return None
    kind = ReactionAdded if event.get("type") == "reaction_added" else ReactionRemoved
    return kind(
        **base,
        member=reading.member(str(event["user"])),
        channel_id=str(item["channel"]),
        message_id=str(item["ts"]),
        emoji=str(event["reaction"]),
    )


def _team_join(event: Payload, base: dict[str, Any], reading: _Reading) -> Event | None:
    member = member_from_user(event["user"])
    if member.is_bot:
        return None
    return MemberJoined(**base, member=member)


def _user_change(event: Payload, base: dict[str, Any], reading: _Reading) -> Event | None:
    user = event["user"]
    if not user.get("deleted") or user.get("is_bot"):
        return None
    # A deactivated account is how a member leaves a Slack workspace.
    return MemberLeft(**base, member_id=str(user["id"]))


def _app_uninstalled(event: Payload, base: dict[str, Any], reading: _Reading) -> Event | None:
    return BotRemoved(**base)


def _tokens_revoked(event: Payload, base: dict[str, Any], reading: _Reading) -> Event | None:
    # Members' own OAuth tokens (`tokens.oauth`) are none of Terreau's business; a revoked
    # bot token (`tokens.bot`, the bot user's id) is Terreau losing the workspace.
    tokens = event.get("tokens") or {}
    if not tokens.get("bot"):
        return None
    return BotRemoved(**base)


def _access_revoked(envelope: Payload, event: Payload) -> tuple[Event, ...]:
    # The envelope's own team_id is the organization's, not one of the workspaces lost.
    event_id = envelope.get("event_id")
    teams = event.get("team_ids")
    if not event_id or not isinstance(teams, list):
        log.warning("malformed %s event %s: no team_ids", _ACCESS_REVOKED, event_id)
        return ()
    occurred = (
        timestamp(event.get("event_ts"))
        or timestamp(envelope.get("event_time"))
        or datetime.fromtimestamp(0, tz=UTC)
    )
    return tuple(
        BotRemoved(
            event_id=str(event_id), community=community_key("slack", team), occurred_at=occurred
        )
        for team in dict.fromkeys(str(team) for team in teams if team)
    )


_ACCESS_REVOKED = "team_access_revoked"
_EVENTS: dict[str, Callable[[Payload, dict[str, Any], _Reading], Event | None]] = {
    "message": _message,
    "reaction_added": _reaction,
    "reaction_removed": _reaction,
    "team_join": _team_join,
    "user_change": _user_change,
    "app_uninstalled": _app_uninstalled,
    "tokens_revoked": _tokens_revoked,
}


def bot_present(team_id: str, *, now: datetime) -> BotAdded:
    """Return the fact that Terreau serves a workspace (its bot token passed `auth.test`)."""
    return BotAdded(
        event_id=f"present-{team_id}-{int(now.timestamp() * 1000)}",
        community=community_key("slack", team_id),
        occurred_at=now,
    )


def bot_revoked(team_id: str, *, now: datetime) -> BotRemoved:
    """Return the fact that a workspace's bot token was found revoked (`auth.test` at start)."""
    return BotRemoved(
        event_id=f"revoked-{team_id}-{int(now.timestamp() * 1000)}",
        community=community_key("slack", team_id),
        occurred_at=now,
    )


def translate_action(body: Payload, *, now: datetime) -> ChoiceMade | None:
    """Translate a `block_actions` payload (a button click or a select) into `ChoiceMade`."""
    if body.get("type") != "block_actions":
        return None
    actions = body.get("actions") or []
    team = body.get("team") or {}
    user = body.get("user") or {}
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    trigger_id = body.get("trigger_id")
    if not actions or not team.get("id") or not user.get("id") or not channel or not trigger_id:
        return None
    choice_id = _choice_id(actions[0])
    if choice_id is None:
        return None
    action_ts = timestamp(actions[0].get("action_ts"))
    message = body.get("message") or {}
    return ChoiceMade(
        event_id=f"act-{trigger_id}",
        community=community_key("slack", str(team["id"])),
        occurred_at=action_ts or now,
        member=Member(
            id=str(user["id"]),
            display_name=str(user.get("name") or user.get("username") or "") or str(user["id"]),
        ),
        channel_id=str(channel),
        message_id=str(container.get("message_ts") or message.get("ts") or ""),
        choice_id=choice_id,
        interaction_id=str(trigger_id),
    )


def _choice_id(action: Payload) -> str | None:
    if action.get("type") == "users_select":
        # A member picker: its id, then the member picked (see `Post.member_picker`).
        picker, picked = action.get("action_id"), action.get("selected_user")
        if not isinstance(picker, str) or not isinstance(picked, str) or not picked:
            return None
        value: object = f"{picker}:{picked}"
    elif action.get("type") == "static_select" or action.get("action_id") == SELECT_ACTION:
        selected = action.get("selected_option") or {}
        value = selected.get("value")
    else:
        value = action.get("value") or action.get("action_id")
    if not isinstance(value, str) or value.count(":") < 2:
        return None
    return value


def handled_event_types() -> frozenset[str]:
    """Return the Events API event types `translate_event` reads (the manifest subscribes them)."""
    return frozenset(_EVENTS) | {_ACCESS_REVOKED}
