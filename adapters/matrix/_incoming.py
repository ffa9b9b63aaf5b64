"""Timeline events in, domain events out: who sent each, and what a click chose.

Translation itself is pure (`translate`); this is what needs the homeserver or
memory: a member's name and power level from the home room's state, the message a
reaction or a numbered reply clicks (its choice ids ride in its content, as last
edited), what a redacted reaction had reacted to, and withdrawing a click once it is
counted.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from nio import AsyncClient

from adapters.matrix._errors import patiently
from adapters.matrix._rooms import RoomDirectory
from adapters.matrix.render import CHOICES_KEY, COMMUNITY_KEY, choice_number
from adapters.matrix.translate import Where, occurred_at, redacted, relation, translate
from bot.domain import ChoiceMade, Event, Member
from bot.ports import Clock, EventSink, PlatformError

log = logging.getLogger(__name__)

MODERATOR_LEVEL = 50
"""The power level from which a member is a moderator (Matrix's own default for it)."""
REMEMBERED_REACTIONS = 10_000
"""Reactions remembered so that taking one back can say which message and emoji it was."""


class Incoming:
    """Turns the events of served rooms into domain events for the core's sink."""

    def __init__(
        self,
        *,
        user_id: str,
        rooms: RoomDirectory,
        prefix: str,
        clock: Clock,
        client: Callable[[], AsyncClient],
        sink: EventSink,
    ) -> None:
        self._user_id = user_id
        self._rooms = rooms
        self._prefix = prefix
        self._clock = clock
        self._client = client
        self._sink = sink
        self._reactions: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def on_event(self, room_id: str, event: Mapping[str, Any]) -> None:
        """Translate one timeline event of `room_id` and deliver what it means."""
        sender = event.get("sender")
        if not isinstance(sender, str) or sender == self._user_id:
            return
        where = self._rooms.where(room_id)
        if where is None:
            return
        kind = event.get("type")
        subject = sender
        if kind == "m.room.member" and isinstance(event.get("state_key"), str):
            subject = str(event["state_key"])
            if subject == self._user_id:
                return
        member = self.member(where.community, subject, event)
        if kind == "m.reaction":
            self._reactions[str(event.get("event_id"))] = dict(event)
            while len(self._reactions) > REMEMBERED_REACTIONS:
                self._reactions.popitem(last=False)
        if kind == "m.room.redaction":
            redacts = str(event.get("redacts") or (event.get("content") or {}).get("redacts") or "")
            # A redacted reaction loses its relation: what it reacted to is known from seeing it.
            target = self._reactions.pop(redacts, None) or await self._event(room_id, redacts)
            events = redacted(event, where, target, member)
        else:
            events = translate(event, where, member, prefix=self._prefix)
            choice = await self._choice(event, where, member)
            if choice is not None:
                events.append(choice)
        for translated in events:
            await self._deliver(translated)
        if any(isinstance(translated, ChoiceMade) for translated in events):
            await self._withdraw(room_id, str(event.get("event_id")))

    async def _withdraw(self, room_id: str, event_id: str) -> None:
        """Redact a member's click (a keycap reaction, a number): nobody else sees what they chose.

        Buttons on Discord and Slack leave no trace others can read; a reaction or a reply
        would show every vote of a secret ballot, so the click is withdrawn once handled.
        """
        client = self._client()
        try:
            await patiently(
                "withdraw a choice",
                functools.partial(client.room_redact, room_id, event_id, tx_id=f"{event_id}-w"),
                self._clock,
            )
        except PlatformError as error:
            log.warning("Matrix: a choice %s in %s stays visible: %s", event_id, room_id, error)

    async def _choice(
        self, event: Mapping[str, Any], where: Where, member: Member
    ) -> ChoiceMade | None:
        """Return the click a keycap reaction (or a reply with a number) on a bot message makes."""
        related = relation(event)
        kind = event.get("type")
        if kind == "m.reaction" and related.get("rel_type") == "m.annotation":
            number = choice_number(str(related.get("key") or ""))
            target_id = related.get("event_id")
        elif kind == "m.room.message" and related.get("rel_type") in (None, "m.thread"):
            replied = related.get("m.in_reply_to")
            if related.get("is_falling_back") or not isinstance(replied, Mapping):
                return None
            body = str((event.get("content") or {}).get("body") or "").split("\n")[-1]
            number = choice_number(body)
            target_id = replied.get("event_id")
        else:
            return None
        if number is None or not isinstance(target_id, str):
            return None
        target = await self._event(where.room_id, target_id)
        if target is None or target.get("sender") != self._user_id:
            return None
        content = _latest_content(target)
        choices = content.get(CHOICES_KEY)
        community = content.get(COMMUNITY_KEY)
        if not isinstance(choices, list) or not 0 < number <= len(choices):
            return None
        if community not in self._rooms.communities:
            return None
        event_id = f"{event.get('event_id')}:choice"
        return ChoiceMade(
            event_id=event_id,
            community=str(community),
            occurred_at=occurred_at(event),
            member=self.member(str(community), member.id, None),
            channel_id=where.room_id,
            message_id=target_id,
            choice_id=str(choices[number - 1]),
            interaction_id=event_id,
        )

    async def _event(self, room_id: str, event_id: str) -> dict[str, Any] | None:
        if not event_id:
            return None
        client = self._client()
        try:
            answer = await patiently(
                "event", lambda: client.room_get_event(room_id, event_id), self._clock
            )
        except PlatformError as error:
            log.info("Matrix event %s in %s cannot be read: %s", event_id, room_id, error)
            return None
        source: dict[str, Any] = answer.event.source
        return source

    def member(
        self, community: str, user_id: str, event: Mapping[str, Any] | None = None
    ) -> Member:
        """Return a member as the home room's state shows them (name, power level)."""
        home = self._rooms.communities[community].home
        room = self._client().rooms.get(home)
        name: str | None = None
        level = 0
        if room is not None:
            user = room.users.get(user_id)
            name = user.display_name if user is not None else None
            level = room.power_levels.get_user_level(user_id)
        if event is not None and event.get("type") == "m.room.member":
            shown = (event.get("content") or {}).get("displayname")
            name = shown if isinstance(shown, str) and shown else name
        return Member(
            id=user_id,
            display_name=name or user_id.removeprefix("@").split(":", 1)[0],
            is_admin=level >= MODERATOR_LEVEL,
        )

    async def _deliver(self, event: Event) -> None:
        try:
            await self._sink(event)
        except Exception:
            log.exception("handling Matrix %s %s failed", type(event).__name__, event.event_id)


def _latest_content(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return a message's content as last edited (the server bundles the latest edit)."""
    relations = (event.get("unsigned") or {}).get("m.relations") or {}
    latest = relations.get("m.replace")
    if isinstance(latest, Mapping):
        new = (latest.get("content") or {}).get("m.new_content")
        if isinstance(new, Mapping):
            return new
    content = event.get("content") or {}
    return content if isinstance(content, Mapping) else {}
