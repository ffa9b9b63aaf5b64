"""Clocks: the real one, a fast one for live demos, and a virtual one for scripts."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        """Sleep until `moment`, re-checking so a suspended laptop does not oversleep."""
        while True:
            remaining = (moment - self.now()).total_seconds()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, 60.0))


class FastClock:
    """Time that runs `speed` times faster than the wall clock, from `start`."""

    def __init__(self, speed: float, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._start = start if start is not None else datetime.now(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        """Return the accelerated current instant."""
        elapsed = (time.monotonic() - self._origin) * self.speed
        return self._start + timedelta(seconds=elapsed)

    async def sleep_until(self, moment: datetime) -> None:
        """Sleep the wall-clock fraction of the time left until `moment`."""
        while True:
            remaining = (moment - self.now()).total_seconds()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining / self.speed, 60.0))


class VirtualClock:
    """Time that moves only when told to, so a scripted run is the same on any machine.

    Sleepers wait for an instant, not for a span of real time: `move_to` wakes
    those whose instant has come, and `next_wake` says when the next one is due,
    so a driver can step through every due moment in order.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs an aware start instant")
        self._now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        """Return the virtual instant."""
        return self._now

    async def sleep_until(self, moment: datetime) -> None:
        """Return once the clock has been moved to `moment` or later."""
        if moment <= self._now:
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (moment, next(self._order), waiter)
        heapq.heappush(self._sleepers, entry)
        try:
            await waiter
        finally:
            if not waiter.done():
                waiter.cancel()

    def next_wake(self) -> datetime | None:
        """Return the earliest instant a sleeper waits for, or None if nobody sleeps."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def move_to(self, moment: datetime) -> None:
        """Set the clock to `moment` (never backwards) and wake the sleepers now due."""
        if moment < self._now:
            raise ValueError(f"the virtual clock cannot go back from {self._now} to {moment}")
        self._now = moment
        while self._sleepers and self._sleepers[0][0] <= moment:
            _, _, waiter = heapq.heappop(self._sleepers)
            if not waiter.done():
                waiter.set_result(None)
