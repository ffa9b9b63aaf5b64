"""Backpressure from the event handlers to the platform's socket.

discord.py and the Slack SDK start one task per incoming event and keep reading
the socket, so when the core falls behind (the interaction writer's queue is
full and its submits wait in line) tasks and the events they hold pile up
without bound. The readers ask `InFlight.room()` before reading the next event:
while `limit` handlers run, reading stops, and it resumes once half of them
have finished. Unread events stay with the platform (and in the kernel's socket
buffers), which holds them meanwhile; nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

HANDLERS_IN_FLIGHT = 1000
"""Event handlers a process runs at once before it stops reading its sockets."""


class InFlight:
    """Counts running event handlers; `room()` waits while `limit` of them run."""

    def __init__(self, limit: int = HANDLERS_IN_FLIGHT) -> None:
        if limit < 1:
            raise ValueError(f"the in-flight limit must be at least 1, got {limit}")
        self.limit = limit
        self.resume_at = limit // 2
        self.running = 0
        self.pauses = 0
        """How many times a reader stopped reading for want of room."""
        self._room = asyncio.Event()
        self._room.set()

    @property
    def holding(self) -> bool:
        """Return whether readers are held (too many handlers run)."""
        return not self._room.is_set()

    def track(self, task: asyncio.Future[Any]) -> None:
        """Count `task` as running until it is done."""
        self.running += 1
        if self.running >= self.limit and self._room.is_set():
            self._room.clear()
        task.add_done_callback(self._finished)

    def _finished(self, _task: asyncio.Future[Any]) -> None:
        self.running -= 1
        if self.running <= self.resume_at and not self._room.is_set():
            self._room.set()

    async def room(self) -> None:
        """Return at once while there is room; otherwise once half the handlers finished."""
        if self._room.is_set():
            return
        self.pauses += 1
        log.debug("%d event handlers running: reading paused", self.running)
        await self._room.wait()
