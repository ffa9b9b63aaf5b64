"""What a SIGKILL costs during a burst: log events lost, acknowledged votes lost.

A child process runs the whole app (`create_app`, the batched interaction writer with
`[ingest] flush_interval_ms` as given) on the wall clock and a recording platform, and
replays a burst: member messages at `--rate` a second through `Dispatcher.dispatch`,
as an adapter hands them over, and poll votes (clicks) by distinct members at
`--vote-rate` a second. It appends the id of each message once `dispatch` has
returned (handed to Terreau) to one file, and each vote's acknowledgement (the private
"your vote is in" answer) to another; a killed process's writes stay in those files.
The parent SIGKILLs the child at a random moment 2-3 s into the burst, then reads the
database: messages handed over but not in the log were lost; an acknowledged vote
missing from `game_votes` would be a broken promise (expected: never).

The child also reports the writer's batch count every 250 ms: the flush interval's
other side, how many write transactions a second the burst costs.

Run: .venv/bin/python bench/bench_crash_window.py [--runs 10] [--rate 1000]
         [--flush-ms 50 200 1000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import create_app
from bot.clock import SystemClock
from bot.config import parse_settings
from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Member,
    MessagePosted,
    Post,
    SentMessage,
)
from bot.ports import EventSink
from bot.prompts import Prompts
from bot.storage import Database, upgrade

REPO = Path(__file__).resolve().parents[1]
KEY = "console:bench"
CONFIG = """
[ingest]
flush_interval_ms = {flush_ms}

[[communities]]
platform = "console"
id = "bench"
name = "Bench"
channels = {{ general = "general" }}

[communities.games]
channel = "general"
poll_minutes = 60
"""
MOD = Member(id="mod", display_name="Mo", is_admin=True)


class RecordingPlatform:
    """The child's platform: posts are numbered, acknowledgements appended to a file."""

    name = "console"

    def __init__(self, acks: int) -> None:
        self._acks = acks
        self._ids = itertools.count(1)
        self.choices: list[str] = []

    async def start(self, sink: EventSink) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        """Keep the choices of the poll; return a numbered message."""
        if post.choices:
            self.choices = [choice.id for choice in post.choices]
        return SentMessage(
            community=where.community, channel_id=where.channel_id, message_id=f"m{next(self._ids)}"
        )

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        """Nothing is ever uncertain here."""
        return []

    async def update(self, message: SentMessage, post: Post) -> None:
        """Nothing to show."""

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        """No threads."""
        return message

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Append a vote's acknowledgement: the member was told their vote is in."""
        if isinstance(to, ChoiceMade):
            os.write(self._acks, f"{to.member.id}\n".encode())

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        """Not used."""
        return SentMessage(community=community, channel_id="dm", message_id="dm")

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        """Not used."""
        return None

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        """Not used."""
        return []


async def child(args: argparse.Namespace) -> None:
    """Run the app and the burst until killed (or `--seconds` passed)."""
    settings = parse_settings(args.config_text, Path(args.config))
    clock = SystemClock()
    database = await Database.connect(args.database, clock=clock)
    handed = os.open(args.handed, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    acks = os.open(args.acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    platform = RecordingPlatform(acks)
    app = await create_app(
        settings,
        database=database,
        prompts=Prompts.load(REPO / "prompts"),
        platforms={"console": platform},
        clock=clock,
    )
    await app.start()
    await app.dispatcher.dispatch(
        CommandInvoked(
            event_id="poll",
            community=KEY,
            occurred_at=clock.now(),
            member=MOD,
            channel_id="general",
            group="game",
            action="poll",
            args=("Tea or coffee?", "Tea", "|", "Coffee"),
        )
    )
    choices = platform.choices
    assert choices, "the poll was not posted"
    members = [Member(id=f"m{n}", display_name=f"Member {n}") for n in range(200)]
    voting: set[asyncio.Task[None]] = set()
    every = max(1, args.rate // args.vote_rate)
    print("burst", flush=True)
    started = time.monotonic()
    last_report = started
    for i in itertools.count():
        due = started + i / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.monotonic()
        if now - started > args.seconds:
            break
        member = members[i % len(members)]
        await app.dispatcher.dispatch(
            MessagePosted(
                event_id=f"b{i}",
                community=KEY,
                occurred_at=clock.now(),
                member=member,
                channel_id="general",
                message_id=f"u{i}",
            )
        )
        os.write(handed, f"b{i}\n".encode())
        if i % every == 0:
            voter = Member(id=f"v{i // every}", display_name=f"Voter {i // every}")
            vote = ChoiceMade(
                event_id=f"c{i}",
                community=KEY,
                occurred_at=clock.now(),
                member=voter,
                channel_id="general",
                message_id="m1",
                choice_id=choices[i % len(choices)],
                interaction_id=f"i{i}",
            )
            task = asyncio.create_task(app.dispatcher.dispatch(vote))
            voting.add(task)
            task.add_done_callback(voting.discard)
        if now - last_report >= 0.25:
            stats = app.writer.stats
            report = {"seconds": now - started, "batches": stats.batches, "handed": i + 1}
            print(json.dumps(report), flush=True)
            last_report = now
    await app.stop()


@dataclass
class Run:
    """What one killed run left behind."""

    handed: int
    lost: int
    acked: int
    acked_lost: int
    batches_per_second: float
    rate: float


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database file and its WAL files."""
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


async def reset(url: str) -> None:
    """Give the run an empty, migrated database."""
    database = make_url(url).database
    if url.startswith("sqlite") and database:
        await asyncio.to_thread(remove_sqlite, Path(database))
    if url.startswith("postgresql"):
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade(url)


async def stored(url: str, sql: str) -> set[str]:
    """Return the first column of `sql` on `url`."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {str(row[0]) for row in await connection.execute(text(sql))}
    finally:
        await engine.dispose()


def kill_during_burst(
    config: Path, url: str, handed: Path, acks: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Start a child, SIGKILL it 2-3 s into its burst; return its last report."""
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            *("--config", str(config), "--database", url),
            *("--handed", str(handed), "--acks", str(acks)),
            *("--rate", str(args.rate), "--vote-rate", str(args.vote_rate)),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "burst", "the child did not start its burst"
    kill_at = time.monotonic() + random.uniform(2.0, 3.0)
    last: dict[str, Any] = {}
    while time.monotonic() < kill_at:
        line = process.stdout.readline()
        if line.startswith("{"):
            last = json.loads(line)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return last


async def one_run(url: str, folder: Path, flush_ms: int, args: argparse.Namespace) -> Run:
    """Kill a child during its burst, then count what survived in the database."""
    await reset(url)
    config = folder / "terreau.toml"
    config.write_text(CONFIG.format(flush_ms=flush_ms), encoding="utf-8")
    handed, acks = folder / "handed.txt", folder / "acks.txt"
    for path in (handed, acks):
        path.unlink(missing_ok=True)
    last = await asyncio.to_thread(kill_during_burst, config, url, handed, acks, args)
    handed_ids = set(handed.read_text("utf-8").split())
    logged = await stored(url, "SELECT event_id FROM interactions WHERE event_id LIKE 'b%'")
    acked = set(acks.read_text("utf-8").split()) if acks.exists() else set()
    voted = await stored(url, "SELECT member_id FROM game_votes")
    seconds = float(last.get("seconds") or 1.0)
    return Run(
        handed=len(handed_ids),
        lost=len(handed_ids - logged),
        acked=len(acked),
        acked_lost=len(acked - voted),
        batches_per_second=float(last.get("batches", 0)) / seconds,
        rate=float(last.get("handed", 0)) / seconds,
    )


async def measure(label: str, url: str, args: argparse.Namespace) -> None:
    """Print, for each flush interval, what the kills cost."""
    print(f"\n{label}: {args.runs} kills per flush interval, {args.rate} messages/s")
    print(
        "flush   | messages/s reached | lost events (min / median / max) | lost, in ms of "
        "burst | acked votes | acked lost | write transactions/s"
    )
    with tempfile.TemporaryDirectory() as folder:
        for flush_ms in args.flush_ms:
            runs = [await one_run(url, Path(folder), flush_ms, args) for _ in range(args.runs)]
            lost = [run.lost for run in runs]
            ms = [1000 * run.lost / run.rate for run in runs]
            rate = statistics.median(run.rate for run in runs)
            print(
                f"{flush_ms:>4} ms | {rate:.0f} "
                f"| {min(lost)} / {statistics.median(lost):g} / {max(lost)} "
                f"| {min(ms):.0f}-{max(ms):.0f} ms (median {statistics.median(ms):.0f}) "
                f"| {sum(r.acked for r in runs)} | {sum(r.acked_lost for r in runs)} "
                f"| {statistics.median(r.batches_per_second for r in runs):.1f}"
            )


async def parent(args: argparse.Namespace) -> None:
    """Measure on SQLite, then on PostgreSQL when a server is given."""
    with tempfile.TemporaryDirectory() as folder:
        await measure("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", args)
    if args.postgres:
        url = make_url(args.postgres)
        name = f"terreau_bench_crash_{os.getpid()}"
        admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            target = url.set(database=name).render_as_string(hide_password=False)
            await measure("PostgreSQL", target, args)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


def main() -> None:
    """Parse the arguments; run as the parent (measuring) or the child (killed)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--vote-rate", type=int, default=20)
    parser.add_argument("--flush-ms", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--handed", help=argparse.SUPPRESS)
    parser.add_argument("--acks", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=30.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.config_text = Path(args.config).read_text("utf-8")
        asyncio.run(child(args))
    else:
        print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M}Z")
        asyncio.run(parent(args))


if __name__ == "__main__":
    main()
