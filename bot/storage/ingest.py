"""Batched ingest of the interaction log: one writer task, never one commit per event.

Rows wait in a bounded queue (a full queue makes `submit` wait: backpressure,
nothing is dropped) and are written `batch_size` at a time, or after
`flush_interval` seconds, or on `flush()` and `stop()`. A batch is one
transaction; a failed batch is retried with bounded backoff until it commits.
When more rows wait than a batch holds (events arrive faster than batches commit),
a batch takes up to `BACKLOG_BATCHES` whole batches' worth of them: each commit writes
every index page its rows touched, so fewer, larger commits catch up faster
(measured: 0.51 -> 0.57 of a bare insert on SQLite, 0.38 -> 0.46 of COPY on
PostgreSQL). The rows lost to a crash are the same: queued or in flight, they were
only in memory.

Submits that find the queue full wait in line. Each slot a written batch frees
goes to the longest-waiting submit, whose row is queued for it before it wakes:
a batch of 500 wakes 500 waiters, not every waiter to find 500 places, and a
newcomer never overtakes the line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from bot.domain import Event
from bot.storage._batch import BatchStore, PreparedBatch
from bot.storage._event_rows import InteractionRow, interaction_from_event
from bot.storage.database import Database
from bot.storage.directory import CommunityDirectory

log = logging.getLogger(__name__)

BACKLOG_BATCHES = 8
"""A batch takes up to this many `batch_size` of the rows waiting when they pile up."""

__all__ = [
    "InteractionRecorder",
    "InteractionRow",
    "InteractionWriter",
    "WriterObserver",
    "WriterStats",
    "interaction_from_event",
]

Sleep = Callable[[float], Awaitable[None]]


class WriterObserver(Protocol):
    """Told about each committed batch: how long the write took and what became of the rows."""

    def batch_written(
        self, *, seconds: float, inserted: int, duplicates: int, rejected: int
    ) -> None:
        """Record one committed batch."""


@dataclass(frozen=True, kw_only=True, slots=True)
class WriterStats:
    """Counters since the writer started."""

    submitted: int
    inserted: int
    duplicates: int
    rejected: int
    batches: int
    retries: int
    waits: int
    """Submits that found the queue full and waited for a slot (each wakes once)."""


class InteractionWriter:
    """The single task that appends interaction rows to the log in batches."""

    def __init__(
        self,
        database: Database,
        *,
        batch_size: int = 500,
        flush_interval: float = 0.2,
        queue_size: int = 4_000,
        max_backoff: float = 5.0,
        sleep: Sleep = asyncio.sleep,
        observer: WriterObserver | None = None,
    ) -> None:
        if batch_size < 1 or queue_size < 1:
            raise ValueError("batch_size and queue_size must be at least 1")
        if flush_interval < 0 or max_backoff <= 0:
            raise ValueError("flush_interval must be >= 0 and max_backoff > 0")
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._max_backoff = max_backoff
        self._sleep = sleep
        self._observer = observer
        self._capacity = queue_size
        self._rows: deque[InteractionRow] = deque()
        self._line: deque[tuple[InteractionRow, asyncio.Future[None]]] = deque()
        self._store = BatchStore(database)
        self._arrived = asyncio.Event()
        self._urgent = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._submitted = 0
        self._done = 0
        self._flush_target = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._counts = {
            "inserted": 0,
            "duplicates": 0,
            "rejected": 0,
            "batches": 0,
            "retries": 0,
            "waits": 0,
        }

    @property
    def stats(self) -> WriterStats:
        """Return a snapshot of the writer's counters."""
        return WriterStats(submitted=self._submitted, **self._counts)

    @property
    def queued(self) -> int:
        """Return how many rows wait to be written."""
        return len(self._rows)

    async def start(self) -> None:
        """Start the writer task."""
        if self._task is not None:
            raise RuntimeError("the interaction writer is already started")
        try:
            await self._store.open()
        except DBAPIError as exc:  # the first batch opens it again, and is retried
            log.warning("the interaction log could not open its database connection: %s", exc)
        self._task = asyncio.create_task(self._run(), name="terreau-interaction-writer")

    @property
    def waiting(self) -> int:
        """Return how many submits wait for a slot in the full queue."""
        return len(self._line)

    async def submit(self, row: InteractionRow) -> None:
        """Queue a row; while the queue is full, wait in line for a slot."""
        if self.offer(row):
            return
        turn = asyncio.get_running_loop().create_future()
        self._line.append((row, turn))
        self._counts["waits"] += 1
        await turn

    def offer(self, row: InteractionRow) -> bool:
        """Queue a row if there is room and nobody waits; False otherwise."""
        if self._task is None or self._stopping:
            raise RuntimeError("the interaction writer is not running (start() it first)")
        if self._line or len(self._rows) >= self._capacity:
            return False
        self._enqueue(row)
        return True

    def _enqueue(self, row: InteractionRow) -> None:
        rows = self._rows
        rows.append(row)
        self._submitted += 1
        self._arrived.set()
        if len(rows) >= self._batch_size:
            self._urgent.set()

    def _hand_off(self) -> None:
        """Give each free slot to the longest-waiting submit, queueing its row for it."""
        line = self._line
        free = self._capacity - len(self._rows)
        while line and free > 0:
            row, turn = line.popleft()
            if turn.done():  # its submit was cancelled
                continue
            self._enqueue(row)
            turn.set_result(None)
            free -= 1

    async def flush(self) -> None:
        """Return once every row submitted so far is committed."""
        target = self._submitted
        if self._done >= target:
            return
        self._ensure_running()
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((target, waiter))
        self._flush_target = max(self._flush_target, target)
        self._arrived.set()
        self._urgent.set()
        await waiter

    async def stop(self) -> None:
        """Write every queued row, then stop the task."""
        if self._task is None:
            return
        self._stopping = True
        self._arrived.set()
        self._urgent.set()
        task, self._task = self._task, None
        try:
            await task
        finally:
            await self._store.close()
            while self._line:
                _, turn = self._line.popleft()
                if not turn.done():
                    turn.set_exception(RuntimeError("the interaction writer stopped"))
        log.info("interaction writer stopped: %s", self.stats)

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("the interaction writer is not running (start() it first)")

    async def _run(self) -> None:
        ready: tuple[list[InteractionRow], PreparedBatch] | None = None
        while True:
            if ready is None:
                if not self._rows:
                    self._hand_off()
                if not self._rows:
                    if self._stopping:
                        return
                    self._arrived.clear()
                    await self._arrived.wait()
                    continue
                if not self._should_write_now():
                    await self._wait_for_batch()
                batch = self._take()
                ready = (batch, self._store.prepare(batch))
            batch, prepared = ready
            ready = None

            def release(written: int = len(batch)) -> None:
                # Called once the database has the rows. Producers wake now, not
                # before: woken earlier, they would hold the GIL the database
                # thread needs. The next batch is prepared while this one is written.
                nonlocal ready
                self._hand_off()
                if ready is None and self._rows and self._should_write_now(pending=written):
                    following = self._take()
                    ready = (following, self._store.prepare(following))

            await self._write(batch, prepared, release)
            self._done += len(batch)
            self._wake_flushers()

    def _take(self) -> list[InteractionRow]:
        # Whole batches' worth while rows pile up: a partial batch still waits its interval.
        batch, waiting = self._batch_size, len(self._rows)
        size = batch * min(BACKLOG_BATCHES, waiting // batch) if waiting > batch else waiting
        return [self._rows.popleft() for _ in range(size)]

    def _should_write_now(self, *, pending: int = 0) -> bool:
        return (
            self._stopping
            or len(self._rows) >= self._batch_size
            or self._flush_target > self._done + pending
        )

    async def _wait_for_batch(self) -> None:
        self._urgent.clear()
        if self._should_write_now():
            return
        timer = asyncio.ensure_future(self._sleep(self._flush_interval))
        urgent = asyncio.ensure_future(self._urgent.wait())
        try:
            await asyncio.wait((timer, urgent), return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            urgent.cancel()

    def _wake_flushers(self) -> None:
        still: list[tuple[int, asyncio.Future[None]]] = []
        for target, waiter in self._waiters:
            if target <= self._done:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still.append((target, waiter))
        self._waiters = still

    async def _write(
        self,
        batch: Sequence[InteractionRow],
        prepared: PreparedBatch | None = None,
        release: Callable[[], None] | None = None,
    ) -> None:
        attempt = 0
        if prepared is None:
            prepared = self._store.prepare(batch)
        while True:
            began = time.perf_counter()
            try:
                # Producers refill the queue while the database takes the rows.
                result = await self._store.write(prepared, release or self._hand_off)
            except (IntegrityError, DataError, UnicodeError) as exc:
                # Rows the database refuses, or text no driver can encode: retrying
                # would fail the same way for ever, so find them and write the rest.
                await self._split(batch, exc)
                return
            except DBAPIError as exc:
                # Locked, disconnected, or a schema the operator must migrate: the rows
                # are fine, so wait and try again.
                attempt += 1
                await self._back_off(len(batch), attempt, exc)
            except StatementError as exc:
                # A value SQLAlchemy could not convert for the driver.
                await self._split(batch, exc)
                return
            except Exception as exc:
                attempt += 1
                log.exception("unexpected error writing %d interaction rows", len(batch))
                await self._back_off(len(batch), attempt, exc)
            else:
                self._store.committed(result)
                self._counts["rejected"] += result.refused
                self._counts["batches"] += 1
                self._counts["inserted"] += result.inserted
                self._counts["duplicates"] += result.duplicates
                if self._observer is not None:
                    self._observer.batch_written(
                        seconds=time.perf_counter() - began,
                        inserted=result.inserted,
                        duplicates=result.duplicates,
                        rejected=result.refused,
                    )
                return

    async def _back_off(self, size: int, attempt: int, exc: Exception) -> None:
        self._hand_off()
        delay = min(self._max_backoff, 0.05 * 2 ** min(attempt - 1, 16))
        self._counts["retries"] += 1
        log.warning(
            "interaction batch of %d rows failed (attempt %d), retrying in %.2fs: %s",
            size,
            attempt,
            delay,
            exc,
        )
        await self._sleep(delay)

    async def _split(self, batch: Sequence[InteractionRow], exc: Exception) -> None:
        """Isolate rows the database refuses for good; write every other row."""
        self._hand_off()
        if len(batch) == 1:
            row = batch[0]
            self._counts["rejected"] += 1
            log.error(
                "interaction %r of community %d refused by the database, not stored: %s",
                row.event_id,
                row.community_id,
                exc,
            )
            return
        log.warning("interaction batch of %d rows refused, splitting it: %s", len(batch), exc)
        middle = len(batch) // 2
        await self._write(batch[:middle])
        await self._write(batch[middle:])


class InteractionRecorder:
    """Event sink that logs each event through the writer (the dispatcher calls it)."""

    def __init__(
        self,
        writer: InteractionWriter,
        directory: CommunityDirectory,
        *,
        store_content: Callable[[str], bool] = lambda _key: False,
    ) -> None:
        self._writer = writer
        self._directory = directory
        self._store_content = store_content

    async def record(self, event: Event) -> None:
        """Queue the log row of `event`, if it has one."""
        key = event.community
        community_id = self._directory.cached(key)
        if community_id is None:
            community_id = await self._directory.id_for(key)
        row = interaction_from_event(event, community_id, store_content=self._store_content(key))
        if row is not None and not self._writer.offer(row):
            await self._writer.submit(row)
