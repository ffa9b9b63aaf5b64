"""The scheduler: one timer on the injected clock, a bounded queue, a pool of workers.

APScheduler's `AsyncIOScheduler` reads the wall clock itself, handles every due job
before starting any and drops those that pass their `misfire_grace_time`; with many
communities sharing one moment that drops real runs. Here one timer task sleeps on the
injected clock until the next due moment and fans the due runs out through a bounded
queue to a fixed pool of workers. Exactly-once is the run ledger's job, not ours: each
job claims `(job id, scheduled instant)` itself, so a run handed out twice is harmless.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from bot.logs import log_context
from bot.scheduling._cron import (
    CATCH_UP_HORIZON,
    CronError,
    CronSchedule,
    fires_between,
    next_fire_times,
)
from bot.scheduling._job import Job
from bot.scheduling._retries import RetryQueue

if TYPE_CHECKING:
    from bot.ports import Clock

log = logging.getLogger(__name__)

_SECOND = timedelta(seconds=1)


class RunObserver(Protocol):
    """Told how each run ended (ok, failed, skipped, cancelled) and how late it started."""

    def run_finished(self, job_id: str, outcome: str, lateness: timedelta) -> None:
        """Record one run's outcome."""


class RunHistory(Protocol):
    """What the run ledger knows about past runs."""

    async def last_run(self, job_id: str) -> datetime | None:
        """Return the latest scheduled instant claimed for `job_id`, if any."""


_GroupKey = tuple[CronSchedule, str]


@dataclass(kw_only=True, eq=False, slots=True)
class _Group:
    """Jobs sharing one trigger: one heap entry, however many communities."""

    schedule: CronSchedule
    zone: ZoneInfo
    jobs: dict[str, Job] = field(default_factory=dict)
    due: datetime | None = None
    token: int = -1


class Scheduler:
    """Runs jobs at their cron times on an injected clock, with bounded parallelism."""

    def __init__(
        self,
        clock: Clock,
        *,
        history: RunHistory | None = None,
        workers: int = 32,
        queue_size: int = 10_000,
        observer: RunObserver | None = None,
    ) -> None:
        if workers < 1 or queue_size < 1:
            raise ValueError(
                f"workers and queue_size must be at least 1, got {workers}, {queue_size}"
            )
        self._clock = clock
        self._history = history
        self._observer = observer
        self._worker_count = workers
        self._queue_size = queue_size
        self._jobs: dict[str, Job] = {}
        self._groups: dict[_GroupKey, _Group] = {}
        self._heap: list[tuple[datetime, int, _GroupKey]] = []
        self._tokens = itertools.count()
        self._pending: dict[str, Job] = {}  # jobs whose missed runs are not yet looked at
        self._queue: asyncio.Queue[tuple[Job, datetime, int]] | None = None
        self._retries = RetryQueue()
        self._outstanding = 0  # runs queued or running
        self._timer: asyncio.Task[None] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[Any]] = set()
        self._timer_busy = False
        self._stopping = False
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._stop_lock = asyncio.Lock()

    # -- jobs

    def add(self, job: Job) -> None:
        """Schedule `job`; its id must not be scheduled already."""
        if job.id in self._jobs:
            raise ValueError(f"job {job.id} is already scheduled")
        self._jobs[job.id] = job
        key = (job.schedule, job.timezone)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(schedule=job.schedule, zone=job.zone)
            if self._timer is not None:
                self._plan(key, group, self._clock.now())
        group.jobs[job.id] = job
        if self._timer is not None:
            self._pending[job.id] = job
            self._wake.set()

    def remove(self, job_id: str) -> None:
        """Unschedule a job; a run already handed to a worker still finishes."""
        job = self._jobs.pop(job_id, None)
        if job is None:
            raise KeyError(f"no scheduled job {job_id}")
        key = (job.schedule, job.timezone)
        group = self._groups[key]
        del group.jobs[job_id]
        if not group.jobs:
            del self._groups[key]
        self._pending.pop(job_id, None)
        self._wake.set()

    def jobs(self) -> list[Job]:
        """Return the scheduled jobs, ordered by id."""
        return [self._jobs[job_id] for job_id in sorted(self._jobs)]

    def next_runs(self, job_id: str, count: int) -> list[datetime]:
        """Return a job's next `count` scheduled instants after now (aware UTC)."""
        job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(f"no scheduled job {job_id}")
        return next_fire_times(job.schedule, job.zone, self._clock.now(), count)

    @property
    def running(self) -> bool:
        """Return whether the timer is alive (started, not stopped, not crashed)."""
        return self._timer is not None and not self._timer.done()

    # -- lifecycle

    async def start(self) -> None:
        """Start the workers and the timer, whose first step catches up on missed runs."""
        if self._timer is not None:
            raise RuntimeError("scheduler already started")
        self._stopping = False
        self._queue = asyncio.Queue(maxsize=self._queue_size)
        now = self._clock.now()
        self._heap.clear()
        for key, group in self._groups.items():
            self._plan(key, group, now)
        self._pending = dict(self._jobs)
        self._workers = [
            asyncio.create_task(self._work(), name=f"scheduler-worker-{number}")
            for number in range(self._worker_count)
        ]
        self._timer = asyncio.create_task(self._tick(), name="scheduler-timer")
        self._timer.add_done_callback(self._timer_done)
        log.info(
            "scheduler started: %d jobs on %d triggers, %d workers",
            len(self._jobs),
            len(self._groups),
            self._worker_count,
        )

    async def stop(self) -> None:
        """Stop planning, drop runs not yet started and wait for the running ones."""
        async with self._stop_lock:
            timer, self._timer = self._timer, None
            if timer is None:
                return
            self._stopping = True
            timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
            dropped = 0
            assert self._queue is not None
            while not self._queue.empty():
                self._queue.get_nowait()
                self._queue.task_done()
                dropped += 1
            self._outstanding -= dropped
            for worker in self._workers:
                if worker not in self._busy:
                    worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            self._workers.clear()
            self._pending.clear()
            self._heap.clear()
            self._retries.clear()
            self._queue = None
            self._outstanding = 0
            self._timer_busy = False
            log.info("scheduler stopped; %d queued runs were not started", dropped)
            self._changed.set()

    async def idle(self) -> None:
        """Return once nothing is due at the clock's now and every handed-out run finished."""
        while True:
            self._changed.clear()
            timer = self._timer
            if timer is not None and timer.done():
                raise RuntimeError("the scheduler timer stopped unexpectedly; see the log")
            if self._is_idle():
                return
            await self._changed.wait()

    def next_due(self) -> datetime | None:
        """Return the next instant a run (or a retry) is due, or None if nothing is planned."""
        due = self._next_due()
        retry = self._retries.next_at()
        if retry is not None and (due is None or retry < due):
            return retry
        return due

    # -- planning

    def _plan(self, key: _GroupKey, group: _Group, after: datetime) -> None:
        """Set a group's next due instant after `after` and push it on the heap."""
        try:
            group.due = group.schedule.next_after(after, group.zone)
        except CronError:
            log.exception("trigger %s (%s) has no further runs", group.schedule, key[1])
            group.due = None
            return
        group.token = next(self._tokens)
        heapq.heappush(self._heap, (group.due, group.token, key))

    def _next_due(self) -> datetime | None:
        """Return the earliest live heap entry, discarding stale ones."""
        while self._heap:
            due, token, key = self._heap[0]
            group = self._groups.get(key)
            if group is not None and group.token == token:
                return due
            heapq.heappop(self._heap)
        return None

    def _is_idle(self) -> bool:
        if self._timer is None:
            return True
        due = self._next_due()
        retry = self._retries.next_at()
        now = self._clock.now()
        return (
            not self._timer_busy
            and not self._wake.is_set()
            and not self._pending
            and self._outstanding == 0
            and (due is None or due > now)
            and (retry is None or retry > now)
        )

    def _timer_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("scheduler timer died", exc_info=task.exception())
        self._changed.set()

    async def _tick(self) -> None:
        """Run the timer: catch up new jobs, fan out what is due, sleep until the next due."""
        while True:
            self._wake.clear()
            self._timer_busy = True
            if self._pending:
                await self._catch_up()
            await self._fan_out()
            for retry in self._retries.due(self._clock.now()):
                if self._jobs.get(retry.job.id) is retry.job:
                    await self._enqueue(retry.job, retry.scheduled_for, retry.attempt)
            due = self._next_due()
            retry_at = self._retries.next_at()
            if retry_at is not None and (due is None or retry_at < due):
                due = retry_at
            self._timer_busy = False
            self._changed.set()
            await self._sleep(due)

    async def _sleep(self, due: datetime | None) -> None:
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
        if due is not None:
            waits.append(asyncio.ensure_future(self._clock.sleep_until(due)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def _fan_out(self) -> None:
        """Queue every due (job, instant); the queue's bound makes this wait, never drop."""
        while (due := self._next_due()) is not None and due <= (now := self._clock.now()):
            _, _, key = heapq.heappop(self._heap)
            group = self._groups[key]
            fire = due
            later = fires_between(group.schedule, group.zone, due, now)
            if later:
                log.warning(
                    "trigger %s (%s, %d jobs): %d runs missed while the timer was late, "
                    "skipped; running the one at %s",
                    group.schedule,
                    key[1],
                    len(group.jobs),
                    len(later),
                    later[-1].isoformat(),
                )
                fire = later[-1]
            self._plan(key, group, fire)
            for job in list(group.jobs.values()):
                await self._enqueue(job, fire)

    async def _catch_up(self) -> None:
        """For newly scheduled jobs, run the latest missed instant within grace, skip older."""
        pending, self._pending = self._pending, {}
        now = self._clock.now()
        fires: dict[_GroupKey, list[datetime]] = {}
        for job in pending.values():
            key = (job.schedule, job.timezone)
            group = self._groups.get(key)
            if self._jobs.get(job.id) is not job or group is None:
                continue
            last = None
            if self._history is not None:
                try:
                    last = await self._history.last_run(job.id)
                except Exception:
                    log.exception("job %s: could not read its run history; no catch-up", job.id)
                    continue
                if last is not None and last.tzinfo is None:
                    log.error("job %s: run history gave a naive time %s; no catch-up", job.id, last)
                    continue
            # Runs at or after the group's planned due belong to the timer.
            until = now if group.due is None else min(now, group.due - _SECOND)
            if last is None:
                # A job that never ran (a new ritual, a first deployment) missed nothing
                # before now; only a run still within its grace is owed. Looking no
                # further back keeps a minute job from walking a month of minutes.
                since = now - job.grace - _SECOND
                within = fires_between(job.schedule, group.zone, since, until)
                missed = [fire for fire in within if now - fire <= job.grace][-1:]
            else:
                if key not in fires:
                    horizon = now - CATCH_UP_HORIZON
                    fires[key] = fires_between(job.schedule, group.zone, horizon, until)
                missed = fires[key][bisect_right(fires[key], last) :]
            if not missed:
                continue
            if now - missed[-1] <= job.grace:
                await self._enqueue(job, missed[-1])
                missed = missed[:-1]
            if missed:
                log.info(
                    "job %s: %d runs missed while stopped, skipped; last one at %s",
                    job.id,
                    len(missed),
                    missed[-1].isoformat(),
                )

    async def _enqueue(self, job: Job, scheduled_for: datetime, attempt: int = 0) -> None:
        assert self._queue is not None
        self._outstanding += 1
        try:
            await self._queue.put((job, scheduled_for, attempt))
        except BaseException:
            self._outstanding -= 1
            raise

    # -- workers

    async def _work(self) -> None:
        assert self._queue is not None
        queue = self._queue
        me = asyncio.current_task()
        assert me is not None
        while not self._stopping:
            job, scheduled_for, attempt = await queue.get()
            self._busy.add(me)
            try:
                await self._run(job, scheduled_for, attempt)
            finally:
                self._busy.discard(me)
                queue.task_done()
                self._outstanding -= 1
                self._changed.set()

    async def _run(self, job: Job, scheduled_for: datetime, attempt: int = 0) -> None:
        with log_context(community=job.community, job=job.id):
            outcome = await self._attempt(job, scheduled_for, attempt)
        if outcome is not None and self._observer is not None:
            self._observer.run_finished(job.id, outcome, self._clock.now() - scheduled_for)

    async def _attempt(self, job: Job, scheduled_for: datetime, attempt: int) -> str | None:
        """Run `job` once; return the outcome (None when the job was removed meanwhile)."""
        if self._jobs.get(job.id) is not job:
            log.info("job %s: removed before its run at %s", job.id, scheduled_for.isoformat())
            return None
        late = self._clock.now() - scheduled_for
        if late > job.grace:
            log.warning(
                "job %s: run at %s skipped, %s late (grace %s)",
                job.id,
                scheduled_for.isoformat(),
                late,
                job.grace,
            )
            return "skipped"
        try:
            await job.run(scheduled_for)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            log.error("job %s: run at %s cancelled itself", job.id, scheduled_for.isoformat())
            return "cancelled"
        except Exception:
            log.exception("job %s: run at %s failed", job.id, scheduled_for.isoformat())
            if not self._stopping and self._retries.plan(
                job, scheduled_for, attempt, self._clock.now()
            ):
                self._wake.set()
            return "failed"
        return "ok"
