"""A job: something to run on a cron schedule in a community's timezone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.scheduling._cron import CronSchedule


@dataclass(frozen=True, kw_only=True, slots=True)
class Job:
    """Something to run on a cron schedule in a community's timezone.

    `run` receives the scheduled instant (aware UTC) and must claim it in the run
    ledger itself, in the same transaction as its effects: the scheduler may, in
    rare cases, hand the same instant out twice, and tries a run that raised again
    a little later (see `_retries`) while it is still within `grace`.
    """

    id: str
    community: str
    schedule: CronSchedule
    timezone: str
    grace: timedelta
    run: Callable[[datetime], Awaitable[None]]

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a job needs a non-empty id")
        if self.grace < timedelta(0):
            raise ValueError(f"job {self.id}: grace must not be negative, got {self.grace}")
        try:
            ZoneInfo(self.timezone)
        except (ValueError, KeyError):
            raise ValueError(f"job {self.id}: unknown timezone {self.timezone!r}") from None

    @property
    def zone(self) -> ZoneInfo:
        """Return the job's timezone."""
        return ZoneInfo(self.timezone)
