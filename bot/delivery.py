"""Sends through the outbox: a post is stored before it is sent, then marked sent.

Exactly one process sends a row at a time. Before calling the platform it takes the
row's lease (an owner and an expiry, renewed while the send runs) and records, in
the same commit, that a send was started. So a row found pending tells its story:

- a running lease of another process: that process is sending it; leave it alone;
- no start recorded: the platform was never asked; send it;
- a start recorded but no result (its sender was killed between the platform's
  answer and the commit, or the answer was lost): ask the platform whether it holds
  the post (`ChatPlatform.find_sent`, from the first start on) and send it again
  only if it does not.

A lease lapses when its process dies; the rows it held are then taken over by any
process, at its start (`deliver_pending`) or by its watch over stranded rows.
Platform errors are retried within bounds, never in a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.domain import ChannelRef, Post, SentMessage, post_from_dict, post_to_dict
from bot.ports import (
    ChatPlatform,
    Clock,
    Forbidden,
    NotFound,
    PlatformError,
    RateLimited,
    Unavailable,
    Unsupported,
)
from bot.storage import Database, UnitOfWork
from bot.storage.records import OutboxEntry

log = logging.getLogger(__name__)

Outcome = SentMessage | PlatformError | None

LEASE = timedelta(seconds=60)
"""How long a send may go without its process renewing the lease before another takes over."""

CLOCK_SKEW = timedelta(minutes=5)
"""How far the platform's clock may be from ours: the margin around an uncertain send's window."""


def owner_name() -> str:
    """Return this process's lease owner: host and pid for people, a random part to be unique."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Delivery:
    """Queues posts in the outbox inside the caller's transaction, then sends them."""

    def __init__(
        self,
        database: Database,
        platform_for: Callable[[str], ChatPlatform],
        clock: Clock,
        *,
        max_attempts: int = 5,
        max_wait: timedelta = timedelta(minutes=5),
        lease: timedelta = LEASE,
        owner: str | None = None,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError(f"the outbox lease must be positive, got {lease}")
        self._database = database
        self._platform_for = platform_for
        self._clock = clock
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._lease = lease
        self.owner = owner or owner_name()
        self._sending: dict[int, asyncio.Future[Outcome]] = {}
        self._watch: asyncio.Task[None] | None = None

    async def enqueue(
        self,
        uow: UnitOfWork,
        *,
        community_id: int,
        where: ChannelRef,
        post: Post,
        nonce: str,
        job_id: str | None = None,
        scheduled_for: datetime | None = None,
        content: tuple[str, str] | None = None,
    ) -> int:
        """Store `post` for sending; it is sent only once the transaction commits.

        `content` (pool, item) records which prompt of the content library it uses.
        """
        payload: dict[str, Any] = {"community": where.community, "post": post_to_dict(post)}
        return await uow.outbox.add(
            community_id=community_id,
            nonce=nonce,
            channel_id=where.channel_id,
            thread_id=where.thread_id,
            payload=payload,
            job_id=job_id,
            scheduled_for=scheduled_for,
            content=content,
        )

    async def deliver_pending(self) -> int:
        """Send every post left pending (by a crash or an outage); return how many were sent."""
        async with self._database.read() as uow:
            pending = [row.id for row in await uow.outbox.pending(limit=1000)]
        if pending:
            log.info("delivering %d posts left pending in the outbox", len(pending))
        return await self._deliver_all(pending)

    async def deliver_stranded(self) -> int:
        """Send the pending posts nobody is sending (a lapsed lease, or never attempted)."""
        now = self._clock.now()
        async with self._database.read() as uow:
            stranded = [row.id for row in await uow.outbox.stranded(now - self._lease, 1000)]
        if stranded:
            log.info("taking over %d stranded posts of the outbox", len(stranded))
        return await self._deliver_all(stranded)

    async def _deliver_all(self, outbox_ids: Sequence[int]) -> int:
        sent = 0
        for outbox_id in outbox_ids:
            if await self.deliver(outbox_id) is not None:
                sent += 1
        return sent

    def watch(self) -> None:
        """Start taking over stranded posts every half lease, until `stop()`."""
        if self._watch is None:
            self._watch = asyncio.create_task(self._watching(), name="terreau-outbox-watch")

    async def stop(self) -> None:
        """Stop the watch over stranded posts; sends already started finish."""
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch

    async def _watching(self) -> None:
        while True:
            await self._clock.sleep_until(self._clock.now() + self._lease / 2)
            try:
                await self.deliver_stranded()
            except Exception:
                log.exception("taking over stranded outbox posts failed; trying again later")

    async def deliver(self, outbox_id: int) -> SentMessage | None:
        """Send one outbox row; return what the platform answered, or None if it failed.

        A row already sent (the same nonce queued again, e.g. a command redelivered
        after a restart) is not sent twice: its recorded message is returned. A row
        another process is sending returns None.
        """
        outcome = await self.attempt(outbox_id)
        return outcome if isinstance(outcome, SentMessage) else None

    async def attempt(self, outbox_id: int) -> Outcome:
        """Like `deliver`, but return the platform's final error instead of None."""
        running = self._sending.get(outbox_id)
        if running is not None:
            # This process is sending it already: share that send's outcome.
            return await asyncio.shield(running)
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._sending[outbox_id] = future
        outcome: Outcome = None
        try:
            outcome = await self._attempt(outbox_id)
        finally:
            del self._sending[outbox_id]
            future.set_result(outcome)
        return outcome

    async def _attempt(self, outbox_id: int) -> Outcome:
        now = self._clock.now()
        async with self._database.transaction() as uow:
            row = await uow.outbox.get(outbox_id, lock=True)
            if row is None or row.status != "pending":
                return _recorded(row)
            if _leased_elsewhere(row, self.owner, now):
                log.debug(
                    "outbox #%d is being sent by %s (lease until %s)",
                    outbox_id,
                    row.lease_owner,
                    row.lease_until,
                )
                return None
            community = str(row.payload["community"])
            try:
                platform = self._platform_for(community)
            except LookupError:
                log.debug(
                    "outbox #%d is for %s, which this process does not serve", row.id, community
                )
                return None
            await uow.outbox.take_lease(outbox_id, self.owner, now + self._lease)
        async with self._holding(outbox_id):
            return await self._send_row(row, platform, started=row.attempted_at or now)

    async def _send_row(
        self, row: OutboxEntry, platform: ChatPlatform, *, started: datetime
    ) -> Outcome:
        post = post_from_dict(row.payload["post"])
        where = ChannelRef(
            community=str(row.payload["community"]),
            channel_id=row.channel_id,
            thread_id=row.thread_id,
        )
        # An earlier sender could post only while its lease ran: look no further.
        window = (started, row.lease_until) if row.attempted_at is not None else None
        try:
            message = await self._send(platform, row, where, post, started=started, window=window)
        except PlatformError as error:
            log.warning(
                "could not post outbox #%d (%s) to %s channel %s: %s",
                row.id,
                row.job_id or "reply",
                where.community,
                row.channel_id,
                error,
            )
            async with self._database.transaction() as uow:
                await uow.outbox.mark_failed(row.id, f"{type(error).__name__}: {error}")
            return error
        # A post found on the platform may have its thread already (Discord says so).
        if post.thread_title and message.thread_id == where.thread_id:
            try:
                message = await platform.open_thread(message, post.thread_title)
            except Unsupported:
                log.debug("%s has no threads; posted without one", platform.name)
            except PlatformError as error:
                log.warning("posted outbox #%d but could not open its thread: %s", row.id, error)
        async with self._database.transaction() as uow:
            await uow.outbox.mark_sent(row.id, message.message_id, message.thread_id)
        return message

    async def _send(
        self,
        platform: ChatPlatform,
        row: OutboxEntry,
        where: ChannelRef,
        post: Post,
        *,
        started: datetime,
        window: tuple[datetime, datetime | None] | None,
    ) -> SentMessage:
        """Send, retrying within bounds; while a send is uncertain, look in `window` first."""
        delay = timedelta(seconds=1)
        for attempt in range(1, self._max_attempts + 1):
            try:
                if window is not None:
                    found = await self._confirm(platform, row, where, post, window)
                    if found is not None:
                        return found
                return await platform.send(where, post, nonce=row.nonce)
            except (Forbidden, NotFound, Unsupported):
                raise
            except RateLimited as error:
                # A rate-limited request was not carried out: nothing more is uncertain.
                wait = timedelta(seconds=error.retry_after)
                if attempt == self._max_attempts or wait > self._max_wait:
                    raise
                log.info("rate limited by %s; retrying in %.1fs", platform.name, error.retry_after)
            except Unavailable:
                # The platform may have posted it before failing: look before posting again.
                window = (started, None)
                if attempt == self._max_attempts:
                    raise
                wait = delay
                delay = min(delay * 2, self._max_wait)
                log.info("%s unavailable; retry %d in %s", platform.name, attempt, wait)
            await self._clock.sleep_until(self._clock.now() + wait)
        raise Unavailable("no attempt left")

    async def _confirm(
        self,
        platform: ChatPlatform,
        row: OutboxEntry,
        where: ChannelRef,
        post: Post,
        window: tuple[datetime, datetime | None],
    ) -> SentMessage | None:
        """Return the message an earlier, unconfirmed send posted, or None if there is none."""
        since, until = window
        try:
            candidates = await platform.find_sent(
                where,
                post,
                nonce=row.nonce,
                since=since - CLOCK_SKEW,
                until=None if until is None else until + CLOCK_SKEW,
            )
        except (Unsupported, Forbidden, NotFound) as error:
            log.warning(
                "outbox #%d: an earlier send may have reached %s, which cannot tell (%s); "
                "sending it again",
                row.id,
                platform.name,
                error,
            )
            return None
        if not candidates:
            log.info(
                "outbox #%d: the earlier send did not reach %s; sending it", row.id, platform.name
            )
            return None
        async with self._database.read() as uow:
            taken = await uow.outbox.recorded(
                row.community_id, row.channel_id, [found.message_id for found in candidates]
            )
        for found in candidates:
            if found.message_id not in taken:
                log.info(
                    "outbox #%d was already posted on %s (message %s); not posting it again",
                    row.id,
                    platform.name,
                    found.message_id,
                )
                return found
        return None

    @contextlib.asynccontextmanager
    async def _holding(self, outbox_id: int) -> AsyncIterator[None]:
        """Keep this process's lease of a row alive while the block runs."""
        renewing = asyncio.create_task(self._renew(outbox_id), name=f"terreau-lease-{outbox_id}")
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _renew(self, outbox_id: int) -> None:
        while True:
            await self._clock.sleep_until(self._clock.now() + self._lease / 3)
            try:
                async with self._database.transaction() as uow:
                    held = await uow.outbox.renew_lease(
                        outbox_id, self.owner, self._clock.now() + self._lease
                    )
            except Exception:
                log.exception("could not renew the lease of outbox #%d; trying again", outbox_id)
                continue
            if not held:
                log.warning("outbox #%d: the lease was lost while sending", outbox_id)
                return


def _leased_elsewhere(row: OutboxEntry, owner: str, now: datetime) -> bool:
    return (
        row.lease_owner is not None
        and row.lease_owner != owner
        and row.lease_until is not None
        and row.lease_until > now
    )


def _recorded(row: OutboxEntry | None) -> SentMessage | None:
    if row is None or row.status != "sent" or row.message_id is None:
        return None
    return SentMessage(
        community=row.community_key,
        channel_id=row.channel_id,
        message_id=row.message_id,
        thread_id=row.sent_thread_id,
    )
