"""The `/sync` long poll, resumed from the token saved after each handled batch.

Each batch is delivered, the core is let settle (the interaction log committed),
and only then is its `next_batch` token saved, as a gateway session of the
`matrix` platform (`PlatformState`). So a saved token never runs ahead of the
database: after a crash, syncing from it brings back every event the crash lost,
and those already handled come again with event ids the log and the claims
recognise. A room whose timeline the server shortened (`limited`) has its gap
read back from `/messages` down to the saved token first.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from nio import AsyncClient, SyncResponse

from adapters.matrix._errors import call, patiently
from adapters.matrix._rooms import RoomDirectory
from bot.ports import Clock, GatewaySession, PlatformError, PlatformState, RateLimited

log = logging.getLogger(__name__)

PLATFORM = "matrix"
RETRY_LIMIT = timedelta(minutes=1)

OnEvent = Callable[[str, Mapping[str, Any]], Awaitable[None]]


class SyncLoop:
    """Syncs from the saved token, hands each event to `on_event`, saves the next token."""

    def __init__(
        self,
        *,
        homeserver: str,
        rooms: RoomDirectory,
        clock: Clock,
        client: Callable[[], AsyncClient],
        on_event: OnEvent,
        state: PlatformState | None,
        timeline_limit: int,
        poll_timeout: timedelta,
    ) -> None:
        self._homeserver = homeserver
        self._rooms = rooms
        self._clock = clock
        self._client = client
        self._on_event = on_event
        self._state = state
        self._timeline_limit = timeline_limit
        self._poll_timeout = poll_timeout
        self._since: str | None = None
        self._batches = 0
        self._loop: asyncio.Task[None] | None = None
        self._poll: asyncio.Task[Any] | None = None
        self._stopping = False

    async def begin(self) -> None:
        """Catch up from the saved token (or note where now is), then keep syncing."""
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
        self._loop = asyncio.create_task(self._syncing(), name="terreau-matrix-sync")

    def running(self) -> bool:
        """Return whether the loop syncs."""
        return self._loop is not None and not self._loop.done()

    async def stop(self) -> None:
        """Finish the batch being handled, then stop (an unanswered poll is dropped)."""
        self._stopping = True
        if self._poll is not None:
            self._poll.cancel()
        loop, self._loop = self._loop, None
        if loop is not None and loop is not asyncio.current_task():
            await asyncio.wait({loop})

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
        client = self._client()
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
                    functools.partial(self._client().join, room_id),
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
        client = self._client()
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
