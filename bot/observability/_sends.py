"""The platform as the outbox sees it, counting refusals and retried sends.

The outbox retries a failed send with the same nonce, so a send whose nonce failed
a moment ago is a retry: counting here needs no change to the delivery code, and
sees exactly what the platform answered.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from bot.domain import ChannelRef, ChoiceMade, CommandInvoked, Member, Post, SentMessage
from bot.observability._metrics import Metrics, error_status
from bot.ports import ChatPlatform, EventSink, PlatformError

log = logging.getLogger(__name__)

REMEMBERED_FAILURES = 10_000


class ObservedSends:
    """A `ChatPlatform` that reports the errors of `send` and `open_thread` to the metrics."""

    def __init__(self, platform: ChatPlatform, metrics: Metrics) -> None:
        self._platform = platform
        self._metrics = metrics
        self._failed: OrderedDict[str, str] = OrderedDict()
        self.name = platform.name

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        """Send through the platform; count a retry, or the failure."""
        previous = self._failed.pop(nonce, None)
        if previous is not None:
            self._metrics.send_retried(self.name, previous)
        try:
            return await self._platform.send(where, post, nonce=nonce)
        except PlatformError as error:
            self._metrics.platform_error(self.name, error)
            self._failed[nonce] = error_status(error)
            while len(self._failed) > REMEMBERED_FAILURES:
                self._failed.popitem(last=False)
            raise

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        """Open a thread through the platform; count the failure."""
        try:
            return await self._platform.open_thread(message, title)
        except PlatformError as error:
            self._metrics.platform_error(self.name, error)
            raise

    async def start(self, sink: EventSink) -> None:
        """Start the platform (the app does this itself; here for the port's sake)."""
        await self._platform.start(sink)

    async def stop(self) -> None:
        """Stop the platform."""
        await self._platform.stop()

    async def update(self, message: SentMessage, post: Post) -> None:
        """Update a message through the platform."""
        await self._platform.update(message, post)

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Answer through the platform."""
        await self._platform.respond(to, post, private=private)

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        """Send a direct message through the platform."""
        return await self._platform.send_direct(community, member_id, post)

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        """Fetch a member through the platform."""
        return await self._platform.fetch_member(community, member_id)

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        """List members through the platform."""
        return await self._platform.list_members(community, after=after, limit=limit)

    def __getattr__(self, name: str) -> Any:
        # Optional capabilities (and anything the outbox may call later) pass through.
        return getattr(self._platform, name)
