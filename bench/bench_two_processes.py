"""Two Terreau processes sharing one PostgreSQL: ingest throughput and exactly-once rituals.

Each process stands for one Discord shard (or one Slack workspace): its own
community, its own batched interaction writer, its own scheduler, one shared
PostgreSQL database (a throwaway one next to the given URL, migrated once).

1. ingest: one process alone logs N events of its community through
   `Dispatcher.dispatch` -> `InteractionRecorder` -> `InteractionWriter` (batches,
   rollups, members), timed until `flush()` returns; then two processes at once,
   N events each, the combined rate taken from the first start to the last flush;
2. rituals: both processes hold the same J jobs (as while a community's ownership
   moves between processes) due at the same instant, 32 workers each; every run
   claims (job, instant) in the run ledger (`Ledger.claim`, the primary key decides)
   before doing anything. Counted: runs each process won, ledger rows, duplicates.

Run: .venv/bin/python bench/bench_two_processes.py --postgres URL [--events 100000] [--jobs 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_fanout import DUE, FrozenClock  # noqa: E402
from bench_ingest import make_events, scratch_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.dispatch import Dispatcher  # noqa: E402
from bot.domain import Community, Event  # noqa: E402
from bot.scheduling import Job, Scheduler, parse_cron  # noqa: E402
from bot.storage import (  # noqa: E402
    CommunityDirectory,
    Database,
    InteractionRecorder,
    InteractionWriter,
    upgrade,
)


async def wait_for_go() -> None:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def ingest_child(url: str, shard: int, count: int) -> None:
    community = Community(platform="discord", id=str(1000 + shard), name=f"shard {shard}")
    events = make_events(count, community.key, seed=shard)
    database = await Database.connect(url)
    directory = CommunityDirectory(database)
    await directory.ensure(community)
    writer = InteractionWriter(database, batch_size=1000, flush_interval=0.2, queue_size=20_000)
    dispatcher = Dispatcher()
    dispatcher.subscribe(Event, InteractionRecorder(writer, directory).record)
    await writer.start()
    print("ready", flush=True)
    await wait_for_go()
    began = time.time()
    for event in events:
        await dispatcher.dispatch(event)
    await writer.flush()
    ended = time.time()
    await writer.stop()
    await database.close()
    print(json.dumps({"began": began, "ended": ended, "inserted": writer.stats.inserted}))


async def rituals_child(url: str, shard: int, jobs: int) -> None:
    database = await Database.connect(url)
    clock = FrozenClock(DUE - timedelta(seconds=2))
    won = [0]
    lost = [0]

    def body(job_id: str):  # type: ignore[no-untyped-def]
        async def run(scheduled_for: datetime) -> None:
            async with database.transaction() as uow:
                claimed = await uow.ledger.claim(job_id, scheduled_for, at=clock.now())
            if claimed:
                won[0] += 1
            else:
                lost[0] += 1

        return run

    scheduler = Scheduler(clock, workers=32)
    for number in range(jobs):
        job_id = f"posts:discord:{100000 + number}:question"
        scheduler.add(
            Job(
                id=job_id,
                community=f"discord:{100000 + number}",
                schedule=parse_cron("0 7 * * mon"),
                timezone="UTC",
                grace=timedelta(hours=2),
                run=body(job_id),
            )
        )
    await scheduler.start()
    await scheduler.idle()
    print("ready", flush=True)
    await wait_for_go()
    began = time.time()
    await clock.set(DUE)
    await scheduler.idle()
    ended = time.time()
    await scheduler.stop()
    await database.close()
    print(json.dumps({"began": began, "ended": ended, "won": won[0], "lost": lost[0]}))


def spawn(mode: str, url: str, shard: int, size: int) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, url, str(shard), str(size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        raise RuntimeError(f"child {mode} {shard} did not start")
    return child


def together(children: list[subprocess.Popen[str]]) -> list[dict[str, float]]:
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = []
    for child in children:
        assert child.stdout is not None
        results.append(json.loads(child.stdout.readline()))
        child.wait()
    return results


async def count(url: str, table: str) -> int:
    database = await Database.connect(url)
    async with database.read() as uow:
        rows = (await uow.connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
    await database.close()
    return int(rows or 0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("TERREAU_TEST_POSTGRES_URL"))
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, url, shard, size = args.child
        child = ingest_child if mode == "ingest" else rituals_child
        await child(url, int(shard), int(size))
        return
    if not args.postgres:
        parser.error("give --postgres URL (or set TERREAU_TEST_POSTGRES_URL)")
    async with scratch_database(args.postgres) as url:
        await upgrade(url)
        [alone] = together([spawn("ingest", url, 1, args.events)])
        rate = alone["inserted"] / (alone["ended"] - alone["began"])
        print(f"ingest, one process:   {alone['inserted']:,} events, {rate:,.0f}/s")
        pair = together([spawn("ingest", url, shard, args.events) for shard in (2, 3)])
        span = max(r["ended"] for r in pair) - min(r["began"] for r in pair)
        each = ", ".join(f"{r['inserted'] / (r['ended'] - r['began']):,.0f}/s" for r in pair)
        total = sum(r["inserted"] for r in pair)
        print(
            f"ingest, two processes: {total:,} events, {total / span:,.0f}/s together "
            f"(each {each}); {total / span / rate:.2f}x one process"
        )
        runs = together([spawn("rituals", url, shard, args.jobs) for shard in (1, 2)])
        rows = await count(url, "run_ledger")
        won = [int(r["won"]) for r in runs]
        span = max(r["ended"] for r in runs) - min(r["began"] for r in runs)
        print(
            f"rituals: {args.jobs:,} jobs due at once in both processes: runs won "
            f"{won[0]:,} + {won[1]:,} = {sum(won):,}; claims refused "
            f"{sum(int(r['lost']) for r in runs):,}; ledger rows {rows:,}; "
            f"duplicates {sum(won) - rows:,}; {span:.2f} s"
        )


if __name__ == "__main__":
    asyncio.run(main())
