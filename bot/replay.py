"""Time in a replayed script: it moves only once the bot is idle, through each due moment.

A script must give the same transcript on a fast machine and a loaded one, at any
speed. With a clock that runs on its own, what happens between two lines depends
on the machine: a trivia question could close before it was shown, and a deadline
printed at 12:04 could appear at 21:58. So a replay runs on a `VirtualClock`:
before each line, and at each step of a wait, it waits until the bot has nothing
left to do at the current instant (scheduled runs due so far finished, their
posts sent, the interaction log written), then moves the clock to the next
moment something is due, in order, until the wait is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import VirtualClock

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class Replayed(Protocol):
    """What a replay needs from the bot (the `App`)."""

    async def settled(self) -> None:
        """Return once nothing is left to do at the clock's now."""

    def next_due(self) -> datetime | None:
        """Return the next instant something is scheduled to happen."""


class Replay:
    """Drives a virtual clock for a script: idle first, then the next due moment.

    With `speed`, each step also takes its virtual length divided by `speed` in
    real time, so a person can watch the replay unfold; the transcript is the
    same at any speed, or without one (every wait is then instant).
    """

    def __init__(
        self, clock: VirtualClock, *, speed: float | None = None, sleep: Sleep = asyncio.sleep
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.clock = clock
        self._speed = speed
        self._sleep = sleep
        self._bot: Replayed | None = None

    def attach(self, bot: Replayed) -> None:
        """Replay for `bot`, created after the clock (the app is built on it)."""
        self._bot = bot

    async def settle(self) -> None:
        """Return once the bot has nothing left to do at the clock's instant."""
        if self._bot is not None:
            await self._bot.settled()

    async def wait(self, duration: timedelta) -> None:
        """Let `duration` pass, stopping at every moment something is due, in order."""
        target = self.clock.now() + duration
        await self.settle()
        while (due := self._next_moment()) is not None and due <= target:
            await self._step(due)
        await self._step(target)

    def _next_moment(self) -> datetime | None:
        """Return the earliest of the bot's next scheduled run and any other sleeper's wake."""
        moments = [self.clock.next_wake()]
        if self._bot is not None:
            moments.append(self._bot.next_due())
        return min((moment for moment in moments if moment is not None), default=None)

    async def _step(self, moment: datetime) -> None:
        if self._speed is not None:
            await self._sleep((moment - self.clock.now()).total_seconds() / self._speed)
        self.clock.move_to(moment)
        await self.settle()
