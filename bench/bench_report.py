"""Report time over 90 days for a community of 100,000 members and 10 million interactions.

For each backend (SQLite always; PostgreSQL when TERREAU_TEST_POSTGRES_URL is set or
--postgres URL is given, in a throwaway database next to it):

1. build the dataset fast, straight through the driver: members, then the interaction
   log in chunks (executemany on SQLite, COPY on PostgreSQL) with the log's secondary
   indexes dropped during the load and rebuilt after, then the daily rollups computed
   in SQL from the log, as the ingest would have made them, then ANALYZE (and on
   PostgreSQL VACUUM, as autovacuum would, so index-only scans read no table pages);
2. the first report after the upgrade, timed on its own: it counts the log's hours
   and looks up every question's first answer once, storing both;
3. time `build_report` over the last 90 days (and the 90 before, which every report
   compares with), the chart and the HTML page, the way `terreau report` makes them.

The log spans 180 days: half messages (5 % of them questions), a fifth replies (a third
of those answer a recent question), the rest reactions; posters follow a Pareto law.

Run: .venv/bin/python bench/bench_report.py [--members 100000] [--interactions 10000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_ingest import scratch_database  # bench/ is on the path when run as a script
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.analytics import (
    COHORT_MONTHS,
    Cohorts,
    Period,
    Scope,
    Trends,
    build_report,
    chart_data,
    cohorts,
    draw_chart,
    heatmap,
    last_days,
    monthly_trends,
    post_figures,
)
from bot.analytics._months import month_number, scope_key, stored_months
from bot.analytics._participation import daily_activity, member_totals, retention
from bot.analytics._questions import question_figures
from bot.config import CommunityConfig
from bot.features.report import chart_labels, render_html
from bot.prompts import Prompts
from bot.storage import Database, upgrade

END = datetime(2026, 11, 22, tzinfo=UTC)
SPAN = timedelta(days=180)
CHUNK = 250_000
CHANNELS = [f"c{i}" for i in range(20)]
LOG_COLUMNS = (
    "community_id",
    "event_id",
    "kind",
    "channel_id",
    "thread_id",
    "member_id",
    "message_id",
    "reply_to",
    "target",
    "occurred_at",
)
PROMPTS = Prompts.load(Path(__file__).resolve().parents[1] / "prompts")


def member_rows(count: int, community_id: int, rng: random.Random) -> list[tuple[object, ...]]:
    rows = []
    for i in range(count):
        joined = END - timedelta(days=rng.uniform(0, 720))
        left = joined + timedelta(days=rng.uniform(1, 400)) if rng.random() < 0.15 else None
        if left is not None and left >= END:
            left = None
        rows.append(
            (community_id, f"u{i}", f"member {i}", False, joined, left, joined, END - timedelta(1))
        )
    return rows


def log_rows(
    count: int, members: int, community_id: int, rng: random.Random
) -> Iterator[list[tuple[object, ...]]]:
    weights = [1 / (rank + 1) ** 1.1 for rank in range(members)]
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    ids = [f"u{i}" for i in rng.sample(range(members), members)]
    step = SPAN.total_seconds() / count
    start = END - SPAN
    recent_questions: list[str] = ["q0"]
    for first in range(0, count, CHUNK):
        size = min(CHUNK, count - first)
        authors = rng.choices(ids, cum_weights=cumulative, k=size)
        chunk = []
        for offset, member in enumerate(authors):
            i = first + offset
            when = start + timedelta(seconds=i * step)
            roll = rng.random()
            channel = CHANNELS[i % 20]
            kind, reply_to, thread, target = "message", None, None, None
            if roll < 0.5:
                if roll < 0.025:
                    target = "question"
                    recent_questions.append(f"m{i}")
                    if len(recent_questions) > 500:
                        recent_questions = recent_questions[-200:]
            elif roll < 0.7:
                kind = "reply"
                if roll < 0.57:
                    question = recent_questions[rng.randrange(len(recent_questions))]
                    if roll < 0.535:
                        thread = question
                    else:
                        reply_to = question
                else:
                    reply_to = f"m{rng.randrange(i)}" if i else None
            else:
                kind, target, reply_to = "reaction", "+1", f"m{rng.randrange(max(i, 1))}"
            chunk.append(
                (
                    community_id,
                    f"e{i}",
                    kind,
                    channel,
                    thread,
                    member,
                    f"m{i}",
                    reply_to,
                    target,
                    when,
                )
            )
        yield chunk


async def build(database: Database, url: str, members: int, interactions: int) -> float:
    rng = random.Random(11)
    postgres = url.startswith("postgresql")
    began = time.perf_counter()
    async with database.transaction() as uow:
        community_id = await uow.communities.ensure("discord:1", "discord", "1", "Bench")
    async with database.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        people = member_rows(members, community_id, rng)
        member_columns = (
            "community_id, member_id, display_name, is_bot, joined_at, left_at, "
            "first_seen_at, last_seen_at"
        )
        if postgres:
            indexes = [
                row[0]
                for row in await raw.fetch(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = 'interactions' "
                    "AND indexname LIKE 'ix_%'"
                )
            ]
            await raw.execute("DROP INDEX " + ", ".join(i.split()[2] for i in indexes))
            await raw.copy_records_to_table(
                "members", records=people, columns=member_columns.split(", ")
            )
            for chunk in log_rows(interactions, members, community_id, rng):
                await raw.copy_records_to_table("interactions", records=chunk, columns=LOG_COLUMNS)
            for index in indexes:
                await raw.execute(index)
            await raw.execute(_ROLLUP.format(day="(occurred_at AT TIME ZONE 'UTC')::date"))
            await raw.execute("ANALYZE")
        else:
            cursor = await raw.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'interactions' "
                "AND name LIKE 'ix_%'"
            )
            indexes = [row[0] for row in await cursor.fetchall()]
            for index in indexes:
                await raw.execute(f"DROP INDEX {index.split()[2]}")
            await raw.execute("PRAGMA synchronous = OFF")
            stamp = "%Y-%m-%d %H:%M:%S.%f"
            await raw.executemany(
                f"INSERT INTO members ({member_columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (*row[:4], *(v.strftime(stamp) if v else None for v in row[4:]))
                    for row in people
                ],
            )
            marks = ", ".join("?" * len(LOG_COLUMNS))
            insert = f"INSERT INTO interactions ({', '.join(LOG_COLUMNS)}) VALUES ({marks})"
            for chunk in log_rows(interactions, members, community_id, rng):
                await raw.executemany(insert, [(*r[:9], r[9].strftime(stamp)) for r in chunk])
                await raw.commit()
            for index in indexes:
                await raw.execute(index)
            await raw.execute(_ROLLUP.format(day="substr(occurred_at, 1, 10)"))
            await raw.commit()
            await raw.execute("ANALYZE")
            await raw.commit()
    return time.perf_counter() - began


_ROLLUP = """
INSERT INTO activity_daily (community_id, member_id, day, messages, replies, reactions, other)
SELECT community_id, member_id, {day},
       SUM(CASE WHEN kind = 'message' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'reply' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'reaction' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind IN ('thread', 'command', 'choice', 'edit') THEN 1 ELSE 0 END)
FROM interactions GROUP BY community_id, member_id, {day}
"""


async def measure(
    name: str, url: str, members: int, interactions: int, runs: int, *, reuse: bool = False
) -> None:
    await upgrade(url)  # a kept dataset gets the migrations added since it was built
    database = await Database.connect(url)
    built = 0.0 if reuse else await build(database, url, members, interactions)
    if built and url.startswith("postgresql"):
        await vacuum(url)
    async with database.read() as uow:
        counts = [
            (await uow.connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in ("members", "interactions", "activity_daily")
        ]
    print(
        f"{name:10} dataset: {counts[0]:,} members, {counts[1]:,} interactions, "
        f"{counts[2]:,} daily rollup rows, " + (f"built in {built:,.0f} s" if built else "reused")
    )
    community = CommunityConfig(platform="discord", id="123456789012345678", name="Bench")
    catalog = PROMPTS.catalog("en")
    period = last_days(90, END.date(), include_today=False)
    scope = Scope(community_id=1, timezone="Europe/Paris")
    if 0 in await _stored(database):
        # The first report after the upgrade counts the whole log's hours and looks up
        # every question's first answer; every later one reads what it stored.
        began = time.perf_counter()
        await build_report(database, scope, period, as_of=END)
        hours, answers, months = await _stored(database)
        # What autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would do after them.
        async with database.engine.begin() as connection:
            for table in STORED:
                await connection.execute(text(f"ANALYZE {table}"))
        print(
            f"{name:10} first report after the upgrade: {time.perf_counter() - began:.2f} s "
            f"({hours:,} hourly rows, {answers:,} first answers and {months} settled months "
            "stored)"
        )
    for run in range(runs):
        began = time.perf_counter()
        report = await build_report(database, scope, period, as_of=END)
        figures = time.perf_counter() - began
        png = draw_chart(chart_data(report), chart_labels(catalog))
        page = render_html(catalog, community, report, [], png)
        total = time.perf_counter() - began
        parts = await breakdown(database, period)
        print(
            f"{name:10} run {run + 1}: {parts}; report over 90 days (and the 90 before) "
            f"{figures:.2f} s; with chart and HTML {total:.2f} s "
            f"({report.participation.present:,} present, {len(page) // 1024} KiB of HTML)"
        )
    await database.close()


STORED = ("activity_hourly", "question_answers", "report_months")
"""What reports store for the next ones: hourly counts, first answers, settled months."""


async def _stored(database: Database) -> tuple[int, int, int]:
    async with database.read() as uow:
        hours, answers, months = [
            (await uow.connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in STORED
        ]
    return hours, answers, months


async def breakdown(database: Database, period: Period) -> str:
    """Time each query of one period's report on its own."""
    scope = Scope(community_id=1, timezone="Europe/Paris")
    times = []
    async with database.read() as uow:
        connection = uow.connection
        if connection.dialect.name == "postgresql":
            await connection.exec_driver_sql("SET LOCAL jit = off")  # as build_report does
        for label, query in (
            ("daily", daily_activity),
            ("members", member_totals),
            ("retention", retention),
            ("questions", lambda c, s, p: question_figures(c, s, p, END, listed=10)),
            ("heatmap", lambda c, s, p: heatmap(c, s, p, END)),
            ("twelve months, stored", _twelve),
            ("cohorts counted afresh", lambda c, s, p: cohorts(c, s, p.end)),
            ("trends counted afresh", lambda c, s, p: _trends(c, s, p)),
            ("ritual posts", lambda c, s, p: post_figures(c, s, p.end)),
        ):
            began = time.perf_counter()
            await query(connection, scope, period)
            times.append(f"{label} {time.perf_counter() - began:.2f} s")
    return "one period: " + ", ".join(times)


async def _trends(connection: AsyncConnection, scope: Scope, period: Period) -> Trends:
    """Time the twelve months' pass alone (the cohorts it reuses are timed apart)."""
    kept = Cohorts(cohorts=(), comparisons=())
    return await monthly_trends(connection, scope, period.end, kept)


async def _twelve(connection: AsyncConnection, scope: Scope, period: Period) -> Trends:
    """Time cohorts and trends as a report reads them: the stored months, the rest counted."""
    last = month_number(period.end) - 1
    stored = await stored_months(
        connection, scope.community_id, scope_key(scope.exclude), last - COHORT_MONTHS + 1, last
    )
    newcomers = await cohorts(connection, scope, period.end, stored=stored)
    return await monthly_trends(connection, scope, period.end, newcomers, stored=stored)


def add_dataset_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that skip SQLite or keep a dataset to reuse on the next run."""
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--postgres-database",
        help="keep the PostgreSQL dataset in this database (created, never dropped); reuse it",
    )
    parser.add_argument(
        "--sqlite-file", type=Path, help="keep the SQLite dataset in this file; reuse it if present"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("TERREAU_TEST_POSTGRES_URL"))
    add_dataset_options(parser)
    args = parser.parse_args()
    if args.sqlite_file is not None and not args.skip_sqlite:
        url = f"sqlite+aiosqlite:///{args.sqlite_file}"
        reuse = args.sqlite_file.exists()
        await measure("SQLite", url, args.members, args.interactions, args.runs, reuse=reuse)
    elif not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await measure("SQLite", url, args.members, args.interactions, args.runs)
    if args.postgres:
        if args.postgres_database:
            url, reuse = await kept_database(args.postgres, args.postgres_database)
            await measure(
                "PostgreSQL", url, args.members, args.interactions, args.runs, reuse=reuse
            )
        else:
            async with scratch_database(args.postgres) as url:
                await measure("PostgreSQL", url, args.members, args.interactions, args.runs)


async def vacuum(url: str) -> None:
    """Vacuum and analyze as autovacuum would after a bulk load: index-only scans then
    read no table pages."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


async def kept_database(server_url: str, name: str) -> tuple[str, bool]:
    """Return the URL of database `name` next to `server_url`'s, and whether it exists."""
    url = make_url(server_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        found = await connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        exists = found.first() is not None
        if not exists:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), exists


if __name__ == "__main__":
    asyncio.run(main())
