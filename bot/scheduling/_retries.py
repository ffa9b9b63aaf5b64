"""Runs that failed, waiting on the injected clock for another attempt.

A run claims its `(job, instant)` in the run ledger in the same transaction as its
effects, so a run that raised (a locked database, a lost connection) left nothing
behind and can simply be tried again; a run that had committed finds its claim
taken and does nothing. Retries stay within the job's grace and are few.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.scheduling._job import Job

log = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
"""How long after each failed attempt a run is tried again; then it is given up."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Retry:
    """One failed run to attempt again at `at`; `attempt` counts the retries so far."""

    at: datetime
    job: Job
    scheduled_for: datetime
    attempt: int


class RetryQueue:
    """Failed runs ordered by when they are due again."""

    def __init__(self, delays: tuple[timedelta, ...] = RETRY_DELAYS) -> None:
        self._delays = delays
        self._heap: list[tuple[datetime, int, Retry]] = []
        self._order = itertools.count()

    def plan(self, job: Job, scheduled_for: datetime, attempt: int, now: datetime) -> bool:
        """Plan another attempt of a failed run; False when it is given up."""
        if attempt >= len(self._delays):
            log.error(
                "job %s: run at %s failed %d times; given up",
                job.id,
                scheduled_for.isoformat(),
                attempt + 1,
            )
            return False
        at = now + self._delays[attempt]
        if at - scheduled_for > job.grace:
            log.error(
                "job %s: run at %s failed and its grace (%s) leaves no time to retry",
                job.id,
                scheduled_for.isoformat(),
                job.grace,
            )
            return False
        log.warning(
            "job %s: run at %s will be tried again at %s",
            job.id,
            scheduled_for.isoformat(),
            at.isoformat(),
        )
        retry = Retry(at=at, job=job, scheduled_for=scheduled_for, attempt=attempt + 1)
        heapq.heappush(self._heap, (at, next(self._order), retry))
        return True

    def next_at(self) -> datetime | None:
        """Return when the earliest retry is due, if any."""
        return self._heap[0][0] if self._heap else None

    def due(self, now: datetime) -> list[Retry]:
        """Remove and return the retries due at `now`."""
        due: list[Retry] = []
        while self._heap and self._heap[0][0] <= now:
            due.append(heapq.heappop(self._heap)[2])
        return due

    def clear(self) -> None:
        """Forget every planned retry (the catch-up at the next start takes over)."""
        self._heap.clear()
