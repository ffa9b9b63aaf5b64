"""Whole-process memory of Terreau serving one large Discord guild, as the guild grows.

For each guild size N, a database is built with the N members and a month of daily
rollups (on each day 40 % of the members were active), then a fresh process runs
Terreau on it as `terreau run` does (`DiscordAdapter`, `create_app`, `app.start()`)
against the fake Discord server of the adapter tests, run in a process of its own;
every one of the N members then posts a message (so every per-member cache Terreau
keeps is as full as that guild can make it). Reported: the Terreau process's RSS
(VmRSS) once started, its peak while the messages arrive, and at the end.

Target: <= 250 MB at 100,000 members.

Run: .venv/bin/python bench/bench_rss.py [--members 10000,50000,100000] [--days 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_backpressure import run  # noqa: E402

from bot.storage import CommunityDirectory, Database, upgrade  # noqa: E402
from tests.adapters.discord.conftest import discord_settings  # noqa: E402
from tests.adapters.discord.fake_discord import FakeDiscord  # noqa: E402

FIRST_MEMBER = 1170000000000100000


async def build(path: Path, members: int, days: int) -> None:
    """Create the database: the guild's community, `members` members, `days` of rollups."""
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    settings = discord_settings(FakeDiscord(), path.parent)
    database = await Database.connect(url)
    community_id = await CommunityDirectory(database).ensure(settings.communities[0].community())
    await database.close()
    rng = random.Random(members)
    now = datetime.now(UTC)
    joined = (now - timedelta(days=400)).isoformat(" ", "microseconds")[:26]
    seen = now.isoformat(" ", "microseconds")[:26]
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO members (community_id, member_id, display_name, is_bot, joined_at, "
            "first_seen_at, last_seen_at) VALUES (?, ?, ?, 0, ?, ?, ?)",
            (
                (community_id, str(FIRST_MEMBER + n), f"member {n}", joined, joined, seen)
                for n in range(members)
            ),
        )
        today = now.date()
        connection.executemany(
            "INSERT INTO activity_daily (community_id, member_id, day, messages, replies, "
            "reactions, other) VALUES (?, ?, ?, ?, ?, ?, 0)",
            (
                (
                    community_id,
                    str(FIRST_MEMBER + n),
                    (today - timedelta(days=day)).isoformat(),
                    rng.randrange(1, 20),
                    rng.randrange(0, 5),
                    rng.randrange(0, 10),
                )
                for day in range(1, days + 1)
                for n in range(members)
                if rng.random() < 0.4
            ),
        )
        connection.execute("ANALYZE")


async def measure(members: int, days: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="terreau-rss-") as folder:
        path = Path(folder) / "terreau.db"
        await build(path, members, days)
        child = subprocess.run(  # noqa: ASYNC221 (the measured process must be a fresh one)
            [sys.executable, __file__, "--serve-guild", str(path), str(members)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


async def serve_guild(path: Path, members: int) -> None:
    result = await run(0, members, 0, in_flight=None, members=members, database_file=path)
    samples = result["samples"]
    print(
        json.dumps(
            {
                "start": result["start_rss"],
                "peak": max(rss for _, rss in samples),
                "end": samples[-1][1],
                "stored": result["stored"],
                "seconds": result["elapsed"],
            }
        )
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", default="10000,50000,100000")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--serve-guild", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_guild:
        await serve_guild(Path(args.serve_guild[0]), int(args.serve_guild[1]))
        return
    print(f"a month ({args.days} days) of rollups, 40 % of the members active each day")
    for members in (int(part) for part in args.members.split(",")):
        figures = await measure(members, args.days)
        print(
            f"{members:>7,} members: RSS {figures['start']:.0f} MiB once started, "
            f"peak {figures['peak']:.0f} MiB while each member posts once, "
            f"{figures['end']:.0f} MiB at the end ({int(figures['stored']):,} messages stored "
            f"in {figures['seconds']:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
