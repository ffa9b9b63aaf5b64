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
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from nio import AsyncClient, AsyncClientConfig, RoomPreset

from adapters.matrix._errors import call, patiently
from adapters.matrix._incoming import Incoming
from adapters.matrix._rooms import MatrixCommunity, RoomDirectory, direct_state
from adapters.matrix._sync import PLATFORM, SyncLoop
from adapters.matrix.render import (
    KEYCAPS,
    NONCE_KEY,
    edit,
    in_thread,
    render,
)
from adapters.matrix.translate import (
    occurred_at,
)
from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Member,
    Post,
    ScheduledEvent,
    SentMessage,
)
from bot.ports import (
    Clock,
    EventSink,
    NotFound,
    PlatformError,
    PlatformState,
    RateLimited,
    StartupFailed,
    Unavailable,
    Unsupported,
)

log = logging.getLogger(__name__)

POLL_TIMEOUT = timedelta(seconds=30)
TIMELINE_LIMIT = 50
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
        self._sync: SyncLoop | None = None
        self._incoming: Incoming | None = None
        self._direct_locks: dict[tuple[str, str], asyncio.Lock] = {}

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
        self._incoming = Incoming(
            user_id=self._user_id,
            rooms=self._rooms,
            prefix=self._prefix,
            clock=self._clock,
            client=self._require_client,
            sink=sink,
        )
        self._sync = SyncLoop(
            homeserver=self._homeserver,
            rooms=self._rooms,
            clock=self._clock,
            client=self._require_client,
            on_event=self._incoming.on_event,
            state=self._state,
            timeline_limit=self._timeline_limit,
            poll_timeout=self._poll_timeout,
        )
        try:
            await self._check_account(client)
            await self._check_rooms(client)
            await self._sync.begin()
        except PlatformError as error:
            await self.stop()
            if isinstance(error, StartupFailed):
                raise
            raise StartupFailed(f"Matrix ({self._homeserver}): {error}") from error
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
            try:
                await call(
                    f"encryption of {room_id}",
                    functools.partial(client.room_get_state_event, room_id, "m.room.encryption"),
                )
            except NotFound:
                continue
            else:
                raise StartupFailed(
                    f"Matrix room {room_id} ({community}) is "
                    "end-to-end encrypted; Terreau serves unencrypted rooms only: remove it "
                    "from the config (or from the space), or use an unencrypted room"
                )

    async def connected(self) -> bool:
        """Return whether the sync loop runs."""
        return self._sync is not None and self._sync.running()

    async def stop(self) -> None:
        """Finish the batch being handled, stop syncing and close the connection."""
        sync, self._sync = self._sync, None
        if sync is not None:
            await sync.stop()
        client, self._client = self._client, None
        if client is not None:
            await client.close()

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

    async def open_space(
        self, parent: ChannelRef, title: str, member_ids: Sequence[str], *, private: bool
    ) -> ChannelRef:
        """Refuse: a group talks in a thread of the room its proposal was posted in."""
        raise Unsupported("Terreau does not create Matrix rooms for groups")

    async def add_to_space(self, space: ChannelRef, member_ids: Sequence[str]) -> None:
        """Refuse, as `open_space` does."""
        raise Unsupported("Terreau does not create Matrix rooms for groups")

    async def archive_space(self, space: ChannelRef) -> None:
        """Refuse, as `open_space` does."""
        raise Unsupported("Terreau does not create Matrix rooms for groups")

    async def create_invite(self, where: ChannelRef) -> str:
        """Refuse: Matrix rooms are joined by address, not by counted invitation links."""
        raise Unsupported("Matrix has no invitation links with use counts")

    async def invite_uses(self, community: str) -> Mapping[str, int]:
        """Refuse, as `create_invite` does."""
        raise Unsupported("Matrix has no invitation links with use counts")

    async def whisper(self, where: ChannelRef, member_id: str, post: Post) -> None:
        """Refuse: a Matrix room shows every message to all its members."""
        raise Unsupported("Matrix rooms have no messages shown to one member alone")

    async def create_scheduled_event(self, event: ScheduledEvent) -> str:
        """Refuse: matrix rooms have no calendar of events."""
        raise Unsupported("Matrix rooms have no calendar of events")

    async def cancel_scheduled_event(self, community: str, event_id: str) -> None:
        """Refuse, as `create_scheduled_event` does."""
        raise Unsupported("Matrix rooms have no calendar of events")

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
            return self._incoming_now().member(community, member_id)
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
            self._incoming_now().member(community, member_id),
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
        return [self._incoming_now().member(community, user_id) for user_id in ids[:limit]]

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

    def _incoming_now(self) -> Incoming:
        if self._incoming is None:
            raise Unavailable("the Matrix adapter is not started")
        return self._incoming

    def _require_client(self) -> AsyncClient:
        if self._client is None:
            raise Unavailable("the Matrix adapter is not started")
        return self._client
