"""Interactions per second through dispatch and the batched writer, against the storage limit.

For each backend (SQLite always; PostgreSQL when TERREAU_TEST_POSTGRES_URL is set or
--postgres URL is given) on a freshly migrated database:

1. pipeline: N events go through `Dispatcher.dispatch` -> `InteractionRecorder` ->
   `InteractionWriter` (batches, rollups, members), timed until `flush()` returns;
2. storage limit: the same N rows, as plain tuples, in ONE `executemany` of a bare
   INSERT into the same table (same indexes and constraints) in one transaction;
   on PostgreSQL also the same rows by COPY (asyncpg `copy_records_to_table`) into
   the same table, the fastest way in;
3. commit per event, naive: each event in a unit of work of its own (the log row, its
   daily rollup and the member, through SQLAlchemy Core), as a writer without batches
   would do it (measured on a smaller sample, reported per second);
4. commit per event, this writer: the batched writer forced to batches of one row and
   flushed after every event (same sample).

Run: .venv/bin/python bench/bench_ingest.py [--events 200000] [--runs 5] [--postgres URL]

With --runs N the pipeline and the limits are measured N times (each on a fresh
database) and the median ratio is printed; the per-event figures are measured once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.dispatch import Dispatcher
from bot.domain import Community, Event, Member, MessagePosted, ReactionAdded
from bot.storage import (
    CommunityDirectory,
    Database,
    InteractionRecorder,
    InteractionWriter,
    interaction_from_event,
    upgrade,
)
from bot.storage._base import insert_for
from bot.storage._statements import ROLLUP_COLUMN, member_seen_upsert
from bot.storage.models import ActivityDailyRow, InteractionLogRow

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
COLUMNS = (
    "community_id, event_id, kind, channel_id, thread_id, member_id, message_id, "
    "reply_to, target, occurred_at, meta, content"
)


def make_events(count: int, community: str, seed: int = 7) -> list[Event]:
    """A realistic mix: messages, replies and reactions from 5,000 members in 20 channels."""
    rng = random.Random(seed)
    members = [Member(id=f"m{i}", display_name=f"member {i}") for i in range(5_000)]
    events: list[Event] = []
    for i in range(count):
        member = members[min(int(rng.paretovariate(1.2)) - 1, len(members) - 1)]
        when = START + timedelta(seconds=i * 3)
        channel = f"c{rng.randrange(20)}"
        roll = rng.random()
        if roll < 0.55:
            events.append(
                MessagePosted(
                    event_id=f"e{i}",
                    community=community,
                    occurred_at=when,
                    member=member,
                    channel_id=channel,
                    message_id=f"msg{i}",
                    reply_to=f"msg{rng.randrange(i)}" if i and roll < 0.2 else None,
                )
            )
        else:
            events.append(
                ReactionAdded(
                    event_id=f"e{i}",
                    community=community,
                    occurred_at=when,
                    member=member,
                    channel_id=channel,
                    message_id=f"msg{rng.randrange(max(i, 1))}",
                    emoji="👍",
                )
            )
    return events


async def fresh(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    else:
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    await upgrade(url)


async def pipeline(url: str, events: list[Event], community: Community) -> float:
    await fresh(url)
    database = await Database.connect(url)
    directory = CommunityDirectory(database)
    await directory.ensure(community)
    writer = InteractionWriter(database, batch_size=1000, flush_interval=0.2, queue_size=20_000)
    dispatcher = Dispatcher()
    dispatcher.subscribe(Event, InteractionRecorder(writer, directory).record)
    await writer.start()
    began = time.perf_counter()
    for event in events:
        await dispatcher.dispatch(event)
    await writer.flush()
    elapsed = time.perf_counter() - began
    await writer.stop()
    stats = writer.stats
    assert stats.inserted == len(events), stats
    await database.close()
    return len(events) / elapsed


def raw_rows(events: list[Event], community_id: int, postgres: bool) -> list[tuple[object, ...]]:
    rows = []
    for event in events:
        row = interaction_from_event(event, community_id, store_content=False)
        assert row is not None
        at = row.occurred_at if postgres else row.occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append(
            (
                row.community_id,
                row.event_id,
                row.kind,
                row.channel_id,
                row.thread_id,
                row.member_id,
                row.message_id,
                row.reply_to,
                row.target,
                at.replace(tzinfo=None) if isinstance(at, datetime) else at,
                None,
                None,
            )
        )
    return rows


async def storage_limit(
    url: str, events: list[Event], community: Community, *, copy: bool = False
) -> float:
    await fresh(url)
    database = await Database.connect(url)
    community_id = await CommunityDirectory(database).ensure(community)
    await database.close()
    postgres = url.startswith("postgresql")
    rows = raw_rows(events, community_id, postgres)
    marks = ", ".join(f"${i}" for i in range(1, 13)) if postgres else ", ".join("?" * 12)
    sql = f"INSERT INTO interactions ({COLUMNS}) VALUES ({marks})"
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        began = time.perf_counter()
        if copy:
            async with driver.transaction():
                await driver.copy_records_to_table(
                    "interactions", records=rows, columns=COLUMNS.split(", ")
                )
        elif postgres:
            async with driver.transaction():
                await driver.executemany(sql, rows)
        else:
            await driver.execute("BEGIN IMMEDIATE")
            await driver.executemany(sql, rows)
            await driver.commit()
        elapsed = time.perf_counter() - began
    await engine.dispose()
    return len(rows) / elapsed


async def naive_per_event(url: str, events: list[Event], community: Community) -> float:
    await fresh(url)
    database = await Database.connect(url)
    community_id = await CommunityDirectory(database).ensure(community)
    dialect = database.dialect
    log = insert_for(dialect, InteractionLogRow.__table__).on_conflict_do_nothing()
    new = insert_for(dialect, ActivityDailyRow.__table__)
    rollup = new.on_conflict_do_update(
        index_elements=["community_id", "member_id", "day"],
        set_={
            column: ActivityDailyRow.__table__.c[column] + new.excluded[column]
            for column in ("messages", "replies", "reactions")
        },
    )
    members = member_seen_upsert(dialect)
    began = time.perf_counter()
    for event in events:
        row = interaction_from_event(event, community_id, store_content=False)
        assert row is not None
        async with database.transaction() as uow:
            await uow.connection.execute(
                log,
                {
                    "community_id": row.community_id,
                    "event_id": row.event_id,
                    "kind": row.kind,
                    "channel_id": row.channel_id,
                    "member_id": row.member_id,
                    "message_id": row.message_id,
                    "reply_to": row.reply_to,
                    "occurred_at": row.occurred_at,
                },
            )
            counts = {"messages": 0, "replies": 0, "reactions": 0, "other": 0}
            counts[("messages", "replies", "reactions", "other")[ROLLUP_COLUMN[row.kind]]] = 1
            await uow.connection.execute(
                rollup,
                {
                    "community_id": row.community_id,
                    "member_id": row.member_id,
                    "day": row.occurred_at.date(),
                    **counts,
                },
            )
            await uow.connection.execute(
                members,
                {
                    "community_id": row.community_id,
                    "member_id": row.member_id,
                    "display_name": row.member_name,
                    "is_bot": False,
                    "joined_at": None,
                    "first_seen_at": row.occurred_at,
                    "last_seen_at": row.occurred_at,
                },
            )
    elapsed = time.perf_counter() - began
    await database.close()
    return len(events) / elapsed


async def writer_per_event(url: str, events: list[Event], community: Community) -> float:
    await fresh(url)
    database = await Database.connect(url)
    directory = CommunityDirectory(database)
    await directory.ensure(community)
    writer = InteractionWriter(database, batch_size=1, flush_interval=0, queue_size=1)
    recorder = InteractionRecorder(writer, directory)
    await writer.start()
    began = time.perf_counter()
    for event in events:
        await recorder.record(event)
        await writer.flush()
    elapsed = time.perf_counter() - began
    await writer.stop()
    await database.close()
    return len(events) / elapsed


async def measure(name: str, url: str, count: int, sample: int, runs: int) -> None:
    community = Community(platform="discord", id="1", name="bench")
    events = make_events(count, community.key)
    postgres = url.startswith("postgresql")
    ratios: list[float] = []
    copy_ratios: list[float] = []
    for run in range(1, runs + 1):
        rate = await pipeline(url, events, community)
        limit = await storage_limit(url, events, community)
        ratios.append(rate / limit)
        line = (
            f"{name:10} run {run}: pipeline {rate:>9,.0f}/s | bare executemany "
            f"{limit:>9,.0f}/s | ratio {rate / limit:.2f}"
        )
        if postgres:
            copied = await storage_limit(url, events, community, copy=True)
            copy_ratios.append(rate / copied)
            line += f" | COPY {copied:>9,.0f}/s | ratio to COPY {rate / copied:.2f}"
        print(line, flush=True)
    summary = f"{name:10} median of {runs}: ratio {statistics.median(ratios):.2f}"
    if copy_ratios:
        summary += f", ratio to COPY {statistics.median(copy_ratios):.2f}"
    print(summary, flush=True)
    if sample:
        naive = await naive_per_event(url, events[:sample], community)
        single = await writer_per_event(url, events[:sample], community)
        print(
            f"{name:10} commit per event: naive {naive:>7,.0f}/s ({rate / naive:.0f}x), "
            f"this writer {single:>7,.0f}/s ({rate / single:.0f}x)"
        )


@contextlib.asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """Create a throwaway database next to `server_url`'s and drop it afterwards."""
    url = make_url(server_url)
    name = f"terreau_bench_{os.getpid()}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--naive-events", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("TERREAU_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(f"{args.events:,} events (55% messages, 45% reactions), 5,000 members, 20 channels")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await measure("SQLite", url, args.events, args.naive_events, args.runs)
    if args.postgres:
        async with scratch_database(args.postgres) as url:
            await measure("PostgreSQL", url, args.events, args.naive_events, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
