"""Fan-out of one busy moment: 10,000 communities' rituals due in the same second.

Run: .venv/bin/python bench/bench_fanout.py [--jobs N] [--workers N]

Every job does what a ritual does around its side effects: it claims
(job id, scheduled instant) in a run-ledger table (SQLite, INSERT OR IGNORE on the
primary key, through aiosqlite), then, in the scenarios with sends, waits for its
platform's rate limit, "sends" (a simulated request latency) and records the
message id. Three scenarios:

1. Terreau's Scheduler, clock frozen at the due instant: scheduler + ledger
   throughput, nothing else.
2. Terreau's Scheduler on a FastClock: the same plus rate-limited sends. Limits,
   from the platforms' documentation: Discord's global limit of 50 requests/s
   per bot (one bucket shared by every guild); Slack's chat.postMessage limit of
   about 1 message/s per channel, which with one post per workspace never binds.
   Each send takes 100 ms of clock time.
3. APScheduler's own AsyncIOScheduler (default misfire_grace_time = 1 s, default
   AsyncIOExecutor) on the wall clock, running the same job body as scenario 2;
   it cannot use an injected clock, so only the rate limiter runs on the
   FastClock. Jobs it reports as missed are what it dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import aiosqlite
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.clock import FastClock
from bot.scheduling import Job, Scheduler, parse_cron

if TYPE_CHECKING:
    from bot.ports import Clock

DUE = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # Monday 09:00 in Paris
# (timezone, crontab) pairs that all mean DUE: many communities, one moment
MOMENTS = (
    ("Europe/Paris", "0 9 * * mon"),
    ("Europe/Berlin", "0 9 * * 1"),
    ("Europe/London", "0 8 * * mon"),
    ("Africa/Lagos", "0 8 * * mon"),
    ("UTC", "0 7 * * mon"),
    ("America/Sao_Paulo", "0 4 * * mon"),
)
DISCORD_PER_SECOND = 50.0
SLACK_PER_CHANNEL_PER_SECOND = 1.0
SEND_LATENCY = timedelta(milliseconds=100)
FAST_SPEED = 20.0
GRACE = timedelta(hours=2)  # a ritual's default grace
APSCHEDULER_BOUND_SECONDS = 55.0


class FrozenClock:
    """A clock that stands still until the benchmark moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, moment: datetime) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: self._now >= moment)

    async def set(self, moment: datetime) -> None:
        async with self._moved:
            self._now = moment
            self._moved.notify_all()


class HeldFastClock:
    """A FastClock held at its start instant until `release()`, so start-up takes no clock time.

    Adding 10,000 jobs takes longer than the 0.1 s of wall time a x20 clock needs to
    cover the 2 s before the due instant; a clock already running would reach the
    due instant (and run every job) before the measurement began.
    """

    def __init__(self, speed: float, start: datetime) -> None:
        self.speed = speed
        self._start = start
        self._clock: FastClock | None = None
        self._released = asyncio.Event()

    def now(self) -> datetime:
        return self._start if self._clock is None else self._clock.now()

    async def sleep_until(self, moment: datetime) -> None:
        if moment <= self._start:
            return
        await self._released.wait()
        assert self._clock is not None
        await self._clock.sleep_until(moment)

    def release(self) -> float:
        """Start the clock; return the wall instant (perf_counter) it will reach `DUE`."""
        self._clock = FastClock(self.speed, start=self._start)
        self._released.set()
        return time.perf_counter() + (DUE - self._start).total_seconds() / self.speed


class TokenBucket:
    """`rate` requests per second of clock time, bursts up to `burst`."""

    def __init__(self, clock: Clock, rate: float, burst: float) -> None:
        self._clock = clock
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._updated = clock.now()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = self._clock.now()
                elapsed = (now - self._updated).total_seconds()
                self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self._rate
                await self._clock.sleep_until(now + timedelta(seconds=wait))


@dataclass
class Platforms:
    """Simulated Discord and Slack endpoints with their rate limits."""

    clock: Clock
    discord: TokenBucket = field(init=False)
    slack_channels: dict[str, TokenBucket] = field(default_factory=dict)
    sent: int = 0

    def __post_init__(self) -> None:
        self.discord = TokenBucket(self.clock, DISCORD_PER_SECOND, DISCORD_PER_SECOND)

    async def send(self, community: str) -> str:
        if community.startswith("discord:"):
            bucket = self.discord
        else:
            bucket = self.slack_channels.setdefault(
                community, TokenBucket(self.clock, SLACK_PER_CHANNEL_PER_SECOND, 1)
            )
        await bucket.take()
        await self.clock.sleep_until(self.clock.now() + SEND_LATENCY)
        self.sent += 1
        return f"m-{community}-{self.sent}"


@dataclass
class Stats:
    """What the jobs observed; `clock` and `platforms` are set once the clock exists."""

    clock: Clock | None = None
    platforms: Platforms | None = None
    active: int = 0
    peak: int = 0
    claimed: int = 0
    duplicates: int = 0
    failed: int = 0
    max_lateness: timedelta = timedelta(0)


class LedgerDb:
    """The run ledger table, one aiosqlite connection (SQLite allows one writer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.db = await aiosqlite.connect(self.path, isolation_level=None)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.execute(
            "CREATE TABLE run_ledger (job_id TEXT NOT NULL, scheduled_for TEXT NOT NULL,"
            " claimed_at TEXT NOT NULL, message_id TEXT,"
            " PRIMARY KEY (job_id, scheduled_for))"
        )

    async def claim(self, job_id: str, scheduled_for: datetime, now: datetime) -> bool:
        assert self.db is not None
        cursor = await self.db.execute(
            "INSERT OR IGNORE INTO run_ledger (job_id, scheduled_for, claimed_at) VALUES (?, ?, ?)",
            (job_id, scheduled_for.isoformat(), now.isoformat()),
        )
        return cursor.rowcount == 1

    async def sent(self, job_id: str, scheduled_for: datetime, message_id: str) -> None:
        assert self.db is not None
        await self.db.execute(
            "UPDATE run_ledger SET message_id = ? WHERE job_id = ? AND scheduled_for = ?",
            (message_id, job_id, scheduled_for.isoformat()),
        )

    async def close(self) -> tuple[int, int]:
        assert self.db is not None
        await self.db.close()
        with sqlite3.connect(self.path) as check:
            rows, with_message = check.execute(
                "SELECT COUNT(*), COUNT(message_id) FROM run_ledger"
            ).fetchone()
        return rows, with_message


def communities(count: int) -> list[tuple[str, str, str]]:
    """Return (community key, timezone, crontab) for `count` communities, half on each platform."""
    result = []
    for number in range(count):
        zone, cron = MOMENTS[number % len(MOMENTS)]
        key = f"discord:{100000 + number}" if number % 2 == 0 else f"slack:T{100000 + number}"
        result.append((key, zone, cron))
    return result


def job_body(
    job_id: str, community: str, ledger: LedgerDb, stats: Stats, *, with_sends: bool
) -> Callable[[datetime], Awaitable[None]]:
    """Return what one ritual run does: claim, then (optionally) send and record."""

    async def run(scheduled_for: datetime) -> None:
        assert stats.clock is not None
        stats.active += 1
        stats.peak = max(stats.peak, stats.active)
        stats.max_lateness = max(stats.max_lateness, stats.clock.now() - scheduled_for)
        try:
            if not await ledger.claim(job_id, scheduled_for, stats.clock.now()):
                stats.duplicates += 1
                return
            stats.claimed += 1
            if with_sends:
                assert stats.platforms is not None
                message_id = await stats.platforms.send(community)
                await ledger.sent(job_id, scheduled_for, message_id)
        except Exception:
            stats.failed += 1
            raise
        finally:
            stats.active -= 1

    return run


@dataclass
class Result:
    """One scenario's figures."""

    name: str
    due: int
    rows: int
    sent: int | None
    duplicates: int
    failed: int
    wall: float
    peak: int
    lateness: timedelta | None
    span: timedelta | None = None
    missed: int | None = None
    note: str = ""


async def terreau(tmp: Path, count: int, workers: int, *, with_sends: bool) -> Result:
    """Scenario 1 or 2: Terreau's Scheduler on a frozen or fast clock."""
    ledger = LedgerDb(tmp / f"terreau-{'sends' if with_sends else 'ledger'}.db")
    await ledger.open()
    stats = Stats()
    jobs = []
    for key, zone, cron in communities(count):
        job_id = f"posts:{key}:question-of-the-week"
        run = job_body(job_id, key, ledger, stats, with_sends=with_sends)
        jobs.append(
            Job(
                id=job_id,
                community=key,
                schedule=parse_cron(cron),
                timezone=zone,
                grace=GRACE,
                run=run,
            )
        )
    start = DUE - timedelta(seconds=2)
    clock: FrozenClock | HeldFastClock = (
        HeldFastClock(FAST_SPEED, start=start) if with_sends else FrozenClock(start)
    )
    stats.clock = clock
    stats.platforms = Platforms(clock)
    scheduler = Scheduler(clock, workers=workers)
    for job in jobs:
        scheduler.add(job)
    logging.getLogger("bot.scheduling").setLevel(logging.WARNING)  # no per-job catch-up lines
    await scheduler.start()
    await scheduler.idle()
    # The clock stands at DUE - 2 s while the jobs are added and the scheduler starts;
    # the wall time runs from the moment the clock reaches DUE.
    if isinstance(clock, FrozenClock):
        begin = time.perf_counter()
        await clock.set(DUE)
    else:
        begin = clock.release()
        await clock.sleep_until(DUE)
    await scheduler.idle()
    wall = time.perf_counter() - begin
    span = clock.now() - DUE
    await scheduler.stop()
    rows, with_message = await ledger.close()
    return Result(
        name=(
            f"Terreau Scheduler, fast clock x{FAST_SPEED:.0f}, ledger + rate-limited sends"
            if with_sends
            else "Terreau Scheduler, frozen clock, ledger only"
        ),
        due=count,
        rows=rows,
        sent=with_message if with_sends else None,
        duplicates=stats.duplicates,
        failed=stats.failed,
        wall=wall,
        peak=stats.peak,
        lateness=stats.max_lateness,
        span=span if with_sends else None,
    )


async def apscheduler(tmp: Path, count: int) -> Result:
    """Scenario 3: APScheduler's AsyncIOScheduler on the wall clock, same job body."""
    ledger = LedgerDb(tmp / "apscheduler.db")
    await ledger.open()
    # The rate limiter runs on a fast clock; APScheduler itself only knows the wall clock.
    limiter_clock = FastClock(FAST_SPEED)
    stats = Stats(clock=limiter_clock, platforms=Platforms(limiter_clock))
    wall_lateness = 0.0

    def real_time(run: Callable[[datetime], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def body() -> None:
            nonlocal wall_lateness
            wall_lateness = max(wall_lateness, time.time() - wall_due.timestamp())
            await run(wall_due)

        return body

    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # 10,000 "missed" warnings
    scheduler = AsyncIOScheduler(timezone=UTC)
    counts = {"executed": 0, "error": 0, "missed": 0}
    finished = asyncio.Event()

    def listen(event: JobEvent) -> None:
        kind = {
            EVENT_JOB_EXECUTED: "executed",
            EVENT_JOB_ERROR: "error",
            EVENT_JOB_MISSED: "missed",
        }
        counts[kind[event.code]] += 1
        if sum(counts.values()) >= count:
            finished.set()

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    wall_due = datetime.fromtimestamp(math.ceil(time.time()) + 6, UTC)
    for key, zone, _ in communities(count):
        local = wall_due.astimezone(ZoneInfo(zone))
        trigger = CronTrigger(
            hour=local.hour, minute=local.minute, second=local.second, timezone=ZoneInfo(zone)
        )
        job_id = f"posts:{key}:question-of-the-week"

        scheduler.add_job(
            real_time(job_body(job_id, key, ledger, stats, with_sends=True)), trigger, id=job_id
        )
    scheduler.start()
    ready = time.time()
    # APScheduler handles every due job synchronously before any starts, so the loop may
    # be blocked past the due second: measure from the due second itself.
    await asyncio.sleep(max(0.0, wall_due.timestamp() - time.time()))
    try:
        await asyncio.wait_for(finished.wait(), timeout=APSCHEDULER_BOUND_SECONDS)
    except TimeoutError:
        print(f"(APScheduler: stopped waiting after {APSCHEDULER_BOUND_SECONDS:.0f} s)")
    wall = time.time() - wall_due.timestamp()
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0.1)
    rows, with_message = await ledger.close()
    note = (
        f"jobs added and scheduler started {wall_due.timestamp() - ready:.1f} s before the due "
        f"second; events: executed {counts['executed']}, error {counts['error']}, "
        f"missed {counts['missed']}"
    )
    return Result(
        name="APScheduler AsyncIOScheduler, misfire_grace_time=1 s, same job body",
        due=count,
        rows=rows,
        sent=with_message,
        duplicates=stats.duplicates,
        failed=stats.failed + counts["error"],
        wall=wall,
        peak=stats.peak,
        lateness=timedelta(seconds=wall_lateness),
        missed=counts["missed"],
        note=note,
    )


def show(result: Result) -> None:
    dropped = result.due - result.rows
    print(f"\n{result.name}")
    print(f"  jobs due        {result.due:>10,}")
    print(f"  jobs run        {result.rows:>10,}   (run-ledger rows)")
    if result.sent is not None:
        print(f"  posts sent      {result.sent:>10,}")
    print(f"  dropped         {dropped:>10,}")
    if result.missed is not None:
        print(f"  reported missed {result.missed:>10,}   (EVENT_JOB_MISSED)")
    print(f"  duplicates      {result.duplicates:>10,}")
    print(f"  failed          {result.failed:>10,}")
    print(f"  wall time       {result.wall:>10.2f} s (due instant -> last run finished)")
    print(f"  max concurrency {result.peak:>10,}")
    rate = result.rows / result.wall if result.wall > 0 else float("inf")
    print(f"  runs/s          {rate:>10,.0f}   (wall clock)")
    if result.lateness is not None:
        clock = "wall-clock" if result.missed is not None else "clock"
        print(f"  max lateness    {result.lateness.total_seconds():>10.1f} s of {clock} time")
    if result.note:
        print(f"  ({result.note})")
    if result.span is not None:
        print(
            f"  clock span      {result.span.total_seconds():>10.1f} s (due -> last run finished)"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--skip-apscheduler", action="store_true")
    args = parser.parse_args()
    print(
        f"{args.jobs:,} jobs in {args.jobs:,} communities (half Discord, half Slack), all due at "
        f"{DUE.isoformat()} through {len(MOMENTS)} (timezone, cron) pairs; "
        f"{args.workers} workers"
    )
    print(
        f"limits: Discord {DISCORD_PER_SECOND:.0f} requests/s shared by every guild (global "
        f"bot limit); Slack {SLACK_PER_CHANNEL_PER_SECOND:.0f} message/s per channel; "
        f"{SEND_LATENCY.total_seconds() * 1000:.0f} ms per send; fast clock x{FAST_SPEED:.0f}"
    )
    print("ledger: SQLite (WAL, synchronous=NORMAL) via aiosqlite, INSERT OR IGNORE per claim")
    with tempfile.TemporaryDirectory(prefix="terreau-bench-") as directory:
        tmp = Path(directory)
        show(await terreau(tmp, args.jobs, args.workers, with_sends=False))
        show(await terreau(tmp, args.jobs, args.workers, with_sends=True))
        if not args.skip_apscheduler:
            show(await apscheduler(tmp, args.jobs))


if __name__ == "__main__":
    asyncio.run(main())
