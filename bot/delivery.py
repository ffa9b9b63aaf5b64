"""Sends through the outbox: a post is stored before it is sent, then marked sent.

A crash between the two leaves a pending row that the next start delivers again
with the same nonce, so the platform (or the adapter) drops the repeat instead of
posting twice. Platform errors are retried within bounds, never in a loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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

log = logging.getLogger(__name__)


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
    ) -> None:
        self._database = database
        self._platform_for = platform_for
        self._clock = clock
        self._max_attempts = max_attempts
        self._max_wait = max_wait

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
    ) -> int:
        """Store `post` for sending; it is sent only once the transaction commits."""
        payload: dict[str, Any] = {"community": where.community, "post": post_to_dict(post)}
        return await uow.outbox.add(
            community_id=community_id,
            nonce=nonce,
            channel_id=where.channel_id,
            thread_id=where.thread_id,
            payload=payload,
            job_id=job_id,
            scheduled_for=scheduled_for,
        )

    async def deliver_pending(self) -> int:
        """Send every post left pending (by a crash or an outage); return how many were sent."""
        async with self._database.transaction() as uow:
            pending = [row.id for row in await uow.outbox.pending(limit=1000)]
        if pending:
            log.info("delivering %d posts left pending in the outbox", len(pending))
        sent = 0
        for outbox_id in pending:
            if await self.deliver(outbox_id) is not None:
                sent += 1
        return sent

    async def deliver(self, outbox_id: int) -> SentMessage | None:
        """Send one outbox row; return what the platform answered, or None if it failed.

        A row already sent (the same nonce queued again, e.g. a command redelivered
        after a restart) is not sent twice: its recorded message is returned.
        """
        outcome = await self.attempt(outbox_id)
        return outcome if isinstance(outcome, SentMessage) else None

    async def attempt(self, outbox_id: int) -> SentMessage | PlatformError | None:
        """Like `deliver`, but return the platform's final error instead of None."""
        async with self._database.transaction() as uow:
            row = await uow.outbox.get(outbox_id)
        if row is not None and row.status == "sent" and row.message_id is not None:
            return SentMessage(
                community=row.community_key,
                channel_id=row.channel_id,
                message_id=row.message_id,
                thread_id=row.sent_thread_id,
            )
        if row is None or row.status != "pending":
            return None
        community = str(row.payload["community"])
        post = post_from_dict(row.payload["post"])
        where = ChannelRef(community=community, channel_id=row.channel_id, thread_id=row.thread_id)
        platform = self._platform_for(community)
        try:
            message = await self._send(platform, where, post, row.nonce)
        except PlatformError as error:
            log.warning(
                "could not post outbox #%d (%s) to %s channel %s: %s",
                outbox_id,
                row.job_id or "reply",
                community,
                row.channel_id,
                error,
            )
            async with self._database.transaction() as uow:
                await uow.outbox.mark_failed(outbox_id, f"{type(error).__name__}: {error}")
            return error
        if post.thread_title:
            try:
                message = await platform.open_thread(message, post.thread_title)
            except Unsupported:
                log.debug("%s has no threads; posted without one", platform.name)
            except PlatformError as error:
                log.warning("posted outbox #%d but could not open its thread: %s", outbox_id, error)
        async with self._database.transaction() as uow:
            await uow.outbox.mark_sent(outbox_id, message.message_id, message.thread_id)
        return message

    async def _send(
        self, platform: ChatPlatform, where: ChannelRef, post: Post, nonce: str
    ) -> SentMessage:
        delay = timedelta(seconds=1)
        for attempt in range(1, self._max_attempts + 1):
            try:
                return await platform.send(where, post, nonce=nonce)
            except (Forbidden, NotFound, Unsupported):
                raise
            except RateLimited as error:
                wait = timedelta(seconds=error.retry_after)
                if attempt == self._max_attempts or wait > self._max_wait:
                    raise
                log.info("rate limited by %s; retrying in %.1fs", platform.name, error.retry_after)
            except Unavailable:
                if attempt == self._max_attempts:
                    raise
                wait = delay
                delay = min(delay * 2, self._max_wait)
                log.info("%s unavailable; retry %d in %s", platform.name, attempt, wait)
            await self._clock.sleep_until(self._clock.now() + wait)
        raise Unavailable("no attempt left")
