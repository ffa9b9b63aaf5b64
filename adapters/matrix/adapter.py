"""The Matrix chat platform: matrix-nio's `AsyncClient` against any homeserver.

Events come from the client-server `/sync` long poll. Each batch is translated
and delivered, the core is let settle (the interaction log committed), and only
then is the batch's `next_batch` token saved in the database, as Discord's
gateway sessions are (`PlatformState`). A restart resumes from the saved token,
so what happened while Terreau was down is delivered; a batch delivered but not
yet saved when the process died comes again, and its event ids recognise it.
When the server shortens a room's timeline (`limited`), the gap back to the
saved token is read from `/messages` first, so nothing is skipped.

Sends use the outbox nonce as the Matrix transaction id, so a send retried after
a rate limit, a lost answer or a restart is the same event, never a second post;
the nonce also rides in the content, so `find_sent` can find it in the room's
history. Rate limits (`M_LIMIT_EXCEEDED`) are waited out on the injected clock.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from nio import AsyncClient, AsyncClientConfig, RoomPreset, SyncResponse

from adapters.matrix._errors import call, patiently
from adapters.matrix._rooms import MatrixCommunity, RoomDirectory, direct_state
from adapters.matrix.render import (
    CHOICES_KEY,
    COMMUNITY_KEY,
    KEYCAPS,
    NONCE_KEY,
    choice_number,
    edit,
    in_thread,
    render,
)
from adapters.matrix.translate import (
    Where,
    occurred_at,
    redacted,
    relation,
    translate,
)
from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Event,
    Member,
    Post,
    SentMessage,
)
from bot.ports import (
    Clock,
    EventSink,
    GatewaySession,
    NotFound,
    PlatformError,
    PlatformState,
    RateLimited,
    StartupFailed,
    Unavailable,
)

log = logging.getLogger(__name__)

PLATFORM = "matrix"
MODERATOR_LEVEL = 50
"""The power level from which a member is a moderator (Matrix's own default for it)."""
POLL_TIMEOUT = timedelta(seconds=30)
TIMELINE_LIMIT = 50
RETRY_LIMIT = timedelta(minutes=1)
REMEMBERED_REACTIONS = 10_000
"""Reactions remembered so that taking one back can say which message and emoji it was."""
FIND_PAGES = 20
"""At most this many pages of 100 events are read back when looking for a post."""


class MatrixAdapter:
    """Terreau on Matrix: `/sync` in, `m.room.message` out, one bot account for every community."""

    name = PLATFORM

    def __init__(
        self,
        *,
        homeserver: str,
        user_id: str,
        access_token: str,
        communities: Sequence[MatrixCommunity],
        clock: Clock,
        command_prefix: str = "!terreau",
        timeline_limit: int = TIMELINE_LIMIT,
        poll_timeout: timedelta = POLL_TIMEOUT,
    ) -> None:
        if not communities:
            raise ValueError("the Matrix adapter needs at least one community")
        self._homeserver = homeserver
        self._user_id = user_id
        self._token = access_token
        self._rooms = RoomDirectory(communities)
        self._clock = clock
        self._prefix = command_prefix
        self._timeline_limit = timeline_limit
        self._poll_timeout = poll_timeout
        self._client: AsyncClient | None = None
        self._state: PlatformState | None = None
        self._sink: EventSink | None = None
        self._since: str | None = None
        self._batches = 0
        self._loop: asyncio.Task[None] | None = None
        self._poll: asyncio.Task[Any] | None = None
        self._stopping = False
        self._synced = False
        self._direct_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._reactions: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def __repr__(self) -> str:
        return f"MatrixAdapter(homeserver={self._homeserver!r}, user_id={self._user_id!r})"

    def keep_state_in(self, state: PlatformState) -> None:
        """Keep the sync token in `state` from the next `start` on."""
        self._state = state

    # Connecting.

    async def start(self, sink: EventSink) -> None:
        """Check the account and every room, resume from the saved token, start syncing."""
        if self._client is not None:
            raise RuntimeError("the Matrix adapter was already started")
        client = self._client = AsyncClient(
            self._homeserver,
            self._user_id,
            config=AsyncClientConfig(
                max_limit_exceeded=0,
                max_timeouts=0,
                request_timeout=self._poll_timeout.total_seconds() + 30,
            ),
        )
        client.access_token = self._token
        try:
            await self._check_account(client)
            await self._check_rooms(client)
        except PlatformError as error:
            await self.stop()
            if isinstance(error, StartupFailed):
                raise
            raise StartupFailed(f"Matrix ({self._homeserver}): {error}") from error
        self._sink = sink
        self._since = await self._saved_token()
        if self._since is None:
            # A first start delivers nothing from before it: it notes where "now" is.
            first = await self._sync(since=None, wait=timedelta(0), limit=1)
            self._read_state(first)
            await self._save(first.next_batch)
        else:
            # Full state: a new process knows no room yet (names, members, direct rooms).
            first = await self._sync(since=self._since, wait=timedelta(0), full_state=True)
            await self._handle(first)
        self._synced = True
        self._loop = asyncio.create_task(self._syncing(), name="terreau-matrix-sync")
        log.info("Matrix connected as %s: %d rooms", self._user_id, len(self._rooms.served()))

    async def _check_account(self, client: AsyncClient) -> None:
        answer = await call("whoami", client.whoami)
        if answer.user_id != self._user_id:
            raise StartupFailed(
                f"the MATRIX_ACCESS_TOKEN belongs to {answer.user_id}, but [matrix] user_id "
                f"is {self._user_id}: fix one of them"
            )
        client.device_id = answer.device_id or ""

    async def _check_rooms(self, client: AsyncClient) -> None:
        for served in self._rooms.communities.values():
            if served.space_id is not None:
                hierarchy = await call(
                    "space hierarchy",
                    functools.partial(client.space_get_hierarchy, served.space_id, max_depth=1),
                )
                for room in hierarchy.rooms:
                    room_id = room.get("room_id")
                    if isinstance(room_id, str) and room.get("room_type") != "m.space":
                        self._rooms.serve(served, room_id)
        joined = set((await call("joined rooms", client.joined_rooms)).rooms)
        for room_id in self._rooms.served():
            where = self._rooms.where(room_id)
            community = where.community if where is not None else "?"
            if room_id not in joined:
                try:
                    await call(f"join {room_id}", functools.partial(client.join, room_id))
                except PlatformError as error:
                    raise StartupFailed(
                        f"Matrix room {room_id} ({community}): "
                        f"{self._user_id} is not in it and cannot join ({error}); invite it"
                    ) from error
            encrypted = await client.room_get_state_event(room_id, "m.room.encryption")
            if not hasattr(encrypted, "status_code"):
                raise StartupFailed(
                    f"Matrix room {room_id} ({community}) is "
                    "end-to-end encrypted; Terreau serves unencrypted rooms only: remove it "
                    "from the config (or from the space), or use an unencrypted room"
                )

    async def _saved_token(self) -> str | None:
        if self._state is None:
            return None
        for session in await self._state.gateway_sessions(PLATFORM):
            if session.resume_url == self._homeserver and session.shard_id == 0:
                return session.session_id
        return None

    async def _save(self, token: str) -> None:
        self._since = token
        self._batches += 1
        if self._state is None:
            return
        session = GatewaySession(
            shard_id=0,
            shard_count=1,
            session_id=token,
            sequence=self._batches,
            resume_url=self._homeserver,
            saved_at=self._clock.now(),
        )
        await self._state.save_gateway_sessions(PLATFORM, [session])

    async def connected(self) -> bool:
        """Return whether the sync loop runs."""
        return self._synced and self._loop is not None and not self._loop.done()

    async def stop(self) -> None:
        """Finish the batch being handled, stop syncing and close the connection."""
        self._stopping = True
        if self._poll is not None:
            self._poll.cancel()
        loop, self._loop = self._loop, None
        if loop is not None and loop is not asyncio.current_task():
            await asyncio.wait({loop})
        client, self._client = self._client, None
        self._sink = None
        self._synced = False
        if client is not None:
            await client.close()

    # Syncing.

    async def _syncing(self) -> None:
        delay = timedelta(seconds=1)
        while not self._stopping:
            try:
                response = await self._sync(since=self._since, wait=self._poll_timeout)
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except RateLimited as error:
                await self._wait(timedelta(seconds=error.retry_after))
                continue
            except PlatformError as error:
                log.warning("Matrix sync failed (%s); retrying in %s", error, delay)
                await self._wait(delay)
                delay = min(delay * 2, RETRY_LIMIT)
                continue
            delay = timedelta(seconds=1)
            try:
                await self._handle(response)
            except Exception:
                log.exception("handling a Matrix sync batch failed; it comes again")
                await self._wait(delay)

    async def _wait(self, delay: timedelta) -> None:
        await self._clock.sleep_until(self._clock.now() + delay)

    async def _sync(
        self,
        *,
        since: str | None,
        wait: timedelta,
        limit: int | None = None,
        full_state: bool = False,
    ) -> SyncResponse:
        client = self._require_client()
        room_filter = {"timeline": {"limit": limit or self._timeline_limit}}
        self._poll = asyncio.ensure_future(
            call(
                "sync",
                lambda: client.sync(
                    timeout=int(wait.total_seconds() * 1000),
                    sync_filter={"room": room_filter},
                    since=since,
                    full_state=full_state or None,
                ),
            )
        )
        try:
            response: SyncResponse = await self._poll
        finally:
            self._poll = None
        return response

    async def _handle(self, response: SyncResponse) -> None:
        """Deliver one batch, let the core settle, then save its token."""
        self._read_state(response)
        for room_id, room in response.rooms.join.items():
            events = [event.source for event in room.timeline.events]
            where = self._rooms.where(room_id)
            if room.timeline.limited and self._since is not None and where is not None:
                events = await self._gap(room_id, room.timeline.prev_batch, self._since) + events
            for event in events:
                await self._on_event(room_id, event)
        for room_id in response.rooms.invite:
            if self._rooms.where(room_id) is not None:
                await patiently(
                    f"join {room_id}",
                    functools.partial(self._require_client().join, room_id),
                    self._clock,
                )
        if self._state is not None:
            await self._state.settle()
        if response.next_batch != self._since:
            await self._save(response.next_batch)

    def _read_state(self, response: SyncResponse) -> None:
        for room_id, room in response.rooms.join.items():
            state = [event.source for event in (*room.state, *room.timeline.events)]
            self._rooms.note_state(room_id, state)
        for room_id in response.rooms.leave:
            self._rooms.forget_direct(room_id)

    async def _gap(self, room_id: str, start: str | None, since: str) -> list[dict[str, Any]]:
        """Return the events the server left out of a limited timeline, oldest first."""
        client = self._require_client()
        found: list[dict[str, Any]] = []
        token = start
        while token:
            page = await patiently(
                f"messages in {room_id}",
                functools.partial(client.room_messages, room_id, start=token, end=since, limit=100),
                self._clock,
            )
            found.extend(event.source for event in page.chunk)
            if not page.chunk or page.end in (None, token):
                break
            token = page.end
        log.info("Matrix room %s: read %d events the sync left out", room_id, len(found))
        return list(reversed(found))

    async def _on_event(self, room_id: str, event: Mapping[str, Any]) -> None:
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
        member = self._member(where.community, subject, event)
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
        client = self._require_client()
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
            member=self._member(str(community), member.id, None),
            channel_id=where.room_id,
            message_id=target_id,
            choice_id=str(choices[number - 1]),
            interaction_id=event_id,
        )

    async def _event(self, room_id: str, event_id: str) -> dict[str, Any] | None:
        if not event_id:
            return None
        client = self._require_client()
        try:
            answer = await patiently(
                "event", lambda: client.room_get_event(room_id, event_id), self._clock
            )
        except PlatformError as error:
            log.info("Matrix event %s in %s cannot be read: %s", event_id, room_id, error)
            return None
        source: dict[str, Any] = answer.event.source
        return source

    def _member(self, community: str, user_id: str, event: Mapping[str, Any] | None) -> Member:
        """Return a member as the home room's state shows them (name, power level)."""
        home = self._rooms.communities[community].home
        room = self._client.rooms.get(home) if self._client is not None else None
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
        sink = self._sink
        if sink is None:
            return
        try:
            await sink(event)
        except Exception:
            log.exception("handling Matrix %s %s failed", type(event).__name__, event.event_id)

    # The ChatPlatform port.

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        """Post a message whose transaction id is `nonce`, then its choices' keycap reactions.

        Sending the same nonce again returns the same event: the homeserver keeps
        transaction ids, so a retry never posts twice.
        """
        self._served(where.community, where.channel_id)
        content = render(post, community=where.community, nonce=nonce, command=self._prefix)
        if where.thread_id is not None:
            content = in_thread(content, where.thread_id)
        if post.image_path is not None or post.file_path is not None:
            log.info("posting to Matrix without the attached file (no media uploads)")
        event_id = await self._send(where.channel_id, content, nonce)
        await self._offer(where.channel_id, event_id, post, nonce)
        return SentMessage(
            community=where.community,
            channel_id=where.channel_id,
            message_id=event_id,
            thread_id=where.thread_id,
        )

    async def _send(
        self, room_id: str, content: dict[str, Any], txn: str, *, kind: str = "m.room.message"
    ) -> str:
        client = self._require_client()
        answer = await call(
            f"send to {room_id}",
            lambda: client.room_send(room_id, kind, content, tx_id=txn),
        )
        return str(answer.event_id)

    async def _offer(self, room_id: str, event_id: str, post: Post, txn: str) -> None:
        """React to a message with the keycap of each of its choices (up to ten)."""
        for number, key in enumerate(KEYCAPS[: len(post.choices)], start=1):
            reaction = {
                "m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}
            }
            try:
                await self._send(room_id, reaction, f"{txn}.{number}", kind="m.reaction")
            except RateLimited:
                raise
            except PlatformError as error:
                # Already there (M_DUPLICATE_ANNOTATION) after an edit, or refused: a reply works.
                log.debug("Matrix reaction %s on %s: %s", key, event_id, error)

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        """Return the bot's message in the room carrying `nonce`, reading back to `since`."""
        self._served(where.community, where.channel_id)
        client = self._require_client()
        wanted = {"senders": [self._user_id], "types": ["m.room.message"]}
        token: str | None = None
        for _ in range(FIND_PAGES):
            page = await patiently(
                "room history",
                functools.partial(
                    client.room_messages,
                    where.channel_id,
                    start=token,
                    limit=100,
                    message_filter=wanted,
                ),
                self._clock,
            )
            for found in page.chunk:
                source = found.source
                if (source.get("content") or {}).get(NONCE_KEY) == nonce:
                    return [
                        SentMessage(
                            community=where.community,
                            channel_id=where.channel_id,
                            message_id=str(source["event_id"]),
                            thread_id=where.thread_id,
                        )
                    ]
            oldest = page.chunk[-1].source if page.chunk else None
            if oldest is None or occurred_at(oldest) < since or not page.end:
                return []
            token = page.end
        log.warning(
            "post %s: not found in the last %d pages of %s", nonce, FIND_PAGES, where.channel_id
        )
        return []

    async def update(self, message: SentMessage, post: Post) -> None:
        """Replace a bot message (`m.replace`); new choices get their keycaps."""
        self._served(message.community, message.channel_id)
        txn = uuid.uuid4().hex
        content = edit(
            message.message_id, render(post, community=message.community, command=self._prefix)
        )
        await patiently("edit", lambda: self._send(message.channel_id, content, txn), self._clock)
        await self._offer(message.channel_id, message.message_id, post, f"{message.message_id}-k")

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        """Return where to post in the thread of a message (Matrix threads need no opening)."""
        self._served(message.community, message.channel_id)
        return replace(message, thread_id=message.thread_id or message.message_id)

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Answer in the room (replying to the command), or privately in a direct room."""
        txn = f"{to.event_id}-{uuid.uuid4().hex[:8]}"
        if private:
            room_id = await self._direct_room(to.community, to.member.id)
            event_id = await self._send_patiently(
                room_id, render(post, community=to.community, command=self._prefix), txn
            )
            await self._offer(room_id, event_id, post, txn)
            return
        content = render(post, community=to.community, command=self._prefix)
        if isinstance(to, CommandInvoked) and to.interaction_id:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": to.interaction_id}}
        event_id = await self._send_patiently(to.channel_id, content, txn)
        await self._offer(to.channel_id, event_id, post, txn)

    async def _send_patiently(self, room_id: str, content: dict[str, Any], txn: str) -> str:
        return await patiently(
            f"send to {room_id}", lambda: self._send(room_id, content, txn), self._clock
        )

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        """Post in the direct room with a member (opening it, with an invitation, if needed)."""
        room_id = await self._direct_room(community, member_id)
        txn = uuid.uuid4().hex
        event_id = await self._send_patiently(
            room_id, render(post, community=community, command=self._prefix), txn
        )
        await self._offer(room_id, event_id, post, txn)
        return SentMessage(community=community, channel_id=room_id, message_id=event_id)

    async def _direct_room(self, community: str, member_id: str) -> str:
        if community not in self._rooms.communities:
            raise NotFound(f"the Matrix adapter does not serve {community}")
        lock = self._direct_locks.setdefault((community, member_id), asyncio.Lock())
        async with lock:
            room_id = self._rooms.direct_room(community, member_id)
            client = self._require_client()
            room = client.rooms.get(room_id) if room_id is not None else None
            if room_id is not None and (
                room is None or member_id in room.users or member_id in room.invited_users
            ):
                return room_id
            if room_id is not None:
                self._rooms.forget_direct(room_id)
            created = await patiently(
                "create a direct room",
                lambda: client.room_create(
                    is_direct=True,
                    invite=[member_id],
                    preset=RoomPreset.trusted_private_chat,
                    initial_state=[direct_state(community, member_id)],
                ),
                self._clock,
            )
            self._rooms.note_direct(created.room_id, community, member_id)
            return str(created.room_id)

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        """Return a member of the community's home room, or None if they are not in it."""
        home = self._home(community)
        member_id = self._user(member_id)
        client = self._require_client()
        room = client.rooms.get(home)
        if room is not None and member_id in room.users:
            return self._member(community, member_id, None)
        try:
            state = await patiently(
                "member",
                lambda: client.room_get_state_event(home, "m.room.member", member_id),
                self._clock,
            )
        except NotFound:
            return None
        if state.content.get("membership") != "join":
            return None
        return replace(
            self._member(community, member_id, None),
            display_name=str(state.content.get("displayname") or member_id),
        )

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        """Return one page of the home room's joined members, ordered by id, after `after`."""
        home = self._home(community)
        client = self._require_client()
        answer = await patiently("joined members", lambda: client.joined_members(home), self._clock)
        ids = sorted(
            member.user_id
            for member in answer.members
            if member.user_id != self._user_id and (after is None or member.user_id > after)
        )
        return [self._member(community, user_id, None) for user_id in ids[:limit]]

    def _user(self, reference: str) -> str:
        """Return the user id a command's member option names.

        The core reads `@name` as `name`: `alice:example.org` is `@alice:example.org`,
        and a bare `alice` is a user of the bot's own homeserver.
        """
        if reference.startswith("@"):
            return reference
        if ":" in reference:
            return f"@{reference}"
        return f"@{reference}:{self._user_id.split(':', 1)[1]}"

    def _home(self, community: str) -> str:
        served = self._rooms.communities.get(community)
        if served is None:
            raise NotFound(f"the Matrix adapter does not serve {community}")
        return served.home

    def _served(self, community: str, room_id: str) -> None:
        where = self._rooms.where(room_id)
        if where is None or where.community != community:
            raise NotFound(f"Matrix room {room_id} is not a room of {community}")

    def _require_client(self) -> AsyncClient:
        if self._client is None:
            raise Unavailable("the Matrix adapter is not started")
        return self._client


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
