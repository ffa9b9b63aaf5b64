"""Clocks: the real one, and a fast one for demos and scripted replays."""

from __future__ import annotations

import asyncio
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
