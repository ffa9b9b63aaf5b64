"""Overload: Terreau's memory while Discord sends twice what it can store, for a minute.

A child process runs the fake Discord server of the adapter tests
(tests/adapters/discord/fake_discord.py) and, once Terreau is connected, sends
MESSAGE_CREATE frames over the real websocket at a given rate (5,000 members, 20
channels). This process runs Terreau as `terreau run` does (`DiscordAdapter`,
`create_app`, `app.start()`, a freshly migrated SQLite file) and samples its own RSS
twice a second.

1. sustainable rate: the child sends `--calibrate` frames as fast as it can; the
   rate at which Terreau stores them (until `flush()` returns) is what it sustains;
2. overload: the child sends at `--factor` (2) times that rate for `--seconds`; the
   figures are RSS over time, frames sent and rows stored once the backlog is
   drained, and how often the shards stopped reading;
3. the same overload with the in-flight bound lifted (`--compare`), as before
   backpressure: discord.py starts a task per frame and keeps reading.

The sender is paced on the wall clock; when Terreau stops reading, its sends block
on the socket (as Discord holds the events), and it catches up afterwards.

Run: .venv/bin/python bench/bench_backpressure.py [--seconds 60] [--factor 2] [--compare]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from discord.utils import time_snowflake  # noqa: TID251
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters._backpressure import InFlight  # noqa: E402
from adapters.discord import DiscordAdapter  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.commands import CommandRegistry  # noqa: E402
from bot.prompts import Prompts  # noqa: E402
from bot.storage import Database, upgrade  # noqa: E402
from tests.adapters.discord.conftest import discord_settings  # noqa: E402
from tests.adapters.discord.fake_discord import FakeDiscord, payload  # noqa: E402

MEMBERS = 5_000
CHANNELS = [str(1187654321098765500 + n) for n in range(20)]


def rss_mib() -> float:
    """Return the resident set size (VmRSS) of Terreau, in MiB: this process and its log's.

    On a SQLite file the interaction log is written by a child process of Terreau's own
    (`_sqlite_child.py`), so Terreau's memory is the sum of both. The benches' other
    children (the fake platform servers) are not Terreau and are left out.
    """
    pid = os.getpid()
    pids = [str(pid)]
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
            for child in children.read().split():
                try:
                    with open(f"/proc/{child}/cmdline", "rb") as command:
                        if b"_sqlite_child.py" in command.read():
                            pids.append(child)
                except FileNotFoundError:  # it just exited
                    continue
    total = 0
    for each in pids:
        try:
            with open(f"/proc/{each}/status", encoding="ascii") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (FileNotFoundError, StopIteration):  # a child that just exited
            continue
    return total / 1024


# The child: the fake Discord server and the sender.


def message(
    number: int, rng: random.Random, template: dict[str, Any], base: int, members: int
) -> dict[str, Any]:
    """Return message `number`: from a Pareto-chosen member of 5,000, or each member in turn."""
    who = (
        min(int(rng.paretovariate(1.2)) - 1, MEMBERS - 1)
        if members == MEMBERS
        else number % members
    )
    data = copy.copy(template)
    data["id"] = str(base + number)  # a snowflake of now: the time Discord would give it
    data["channel_id"] = CHANNELS[rng.randrange(len(CHANNELS))]
    data["author"] = dict(template["author"], id=str(1170000000000100000 + who))
    data["member"] = dict(template["member"], nick=f"member {who}")
    data["mentions"] = []
    return data


async def serve(rate: float, count: int, first: int, members: int) -> None:
    fake = FakeDiscord()
    guild = fake.guilds[0]
    guild["channels"] = [
        dict(guild["channels"][0], id=c, name=f"c{n}") for n, c in enumerate(CHANNELS)
    ]
    await fake.start()
    print(json.dumps({"api_base": fake.api_base, "gateway_url": fake.gateway_url}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # "go": Terreau is serving
    rng = random.Random(first)
    template = payload("message_create")
    base = time_snowflake(datetime.now(UTC))
    began = time.perf_counter()
    for number in range(first, first + count):
        if rate > 0:
            due = began + (number - first) / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        await fake.dispatch("MESSAGE_CREATE", message(number, rng, template, base, members))
    print(json.dumps({"sent": count, "seconds": time.perf_counter() - began}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # "stop"
    await fake.stop()


# The parent: Terreau, measured.


async def run(
    rate: float,
    count: int,
    first: int,
    *,
    in_flight: int | None,
    members: int = MEMBERS,
    database_file: Path | None = None,
) -> dict[str, Any]:
    """Serve `count` frames sent at `rate` (0: at once) with Terreau; return what happened."""
    child = subprocess.Popen(  # noqa: ASYNC220 (a child process for the whole run)
        [sys.executable, __file__, "--serve", str(rate), str(count), str(first), str(members)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdin is not None and child.stdout is not None
    loop = asyncio.get_running_loop()
    endpoints = json.loads(await loop.run_in_executor(None, child.stdout.readline))
    with tempfile.TemporaryDirectory(prefix="terreau-bench-") as folder:
        server = FakeDiscord()
        server.port = int(endpoints["api_base"].split(":")[2].split("/")[0])
        settings = discord_settings(server, Path(folder))
        url = f"sqlite+aiosqlite:///{database_file or Path(folder) / 'terreau.db'}"
        await upgrade(url)
        clock = SystemClock()
        prompts = Prompts.load(ROOT / "prompts")
        commands = CommandRegistry()
        adapter = DiscordAdapter(
            token="fake.bot.token",
            settings=settings.discord,
            communities=settings.communities,
            commands=commands,
            prompts=prompts,
            clock=clock,
            guild_ready_timeout=0.01,
        )
        database = await Database.connect(url, clock=clock)
        app = await create_app(
            settings,
            database=database,
            prompts=prompts,
            platforms={"discord": adapter},
            clock=clock,
            commands=commands,
        )
        await app.start()
        client = adapter.client
        if in_flight is not None:
            client.in_flight = InFlight(in_flight)
        samples: list[tuple[float, float]] = []
        start_rss = rss_mib()
        child.stdin.write("go\n")
        child.stdin.flush()
        began = time.perf_counter()
        finished = loop.run_in_executor(None, child.stdout.readline)
        sent: dict[str, Any] | None = None
        while True:
            samples.append((time.perf_counter() - began, rss_mib()))
            if sent is None and finished.done():
                sent = json.loads(finished.result())
            if sent is not None and app.writer.stats.submitted >= count:
                break
            await asyncio.sleep(0.5)
        await app.writer.flush()
        elapsed = time.perf_counter() - began
        samples.append((elapsed, rss_mib()))
        async with app.database.read() as uow:
            stored = (
                await uow.connection.execute(text("SELECT count(*) FROM interactions"))
            ).scalar()
        pauses = client.in_flight.pauses
        await app.stop()
    child.stdin.write("stop\n")
    child.stdin.flush()
    await loop.run_in_executor(None, child.wait)
    return {
        "sent": sent["sent"] if sent else 0,
        "send_seconds": sent["seconds"] if sent else 0.0,
        "stored": int(stored or 0),
        "elapsed": elapsed,
        "start_rss": start_rss,
        "samples": samples,
        "pauses": pauses,
    }


def show(name: str, result: dict[str, Any]) -> None:
    samples = result["samples"]
    peak = max(rss for _, rss in samples)
    print(f"\n{name}")
    print(
        f"  frames sent {result['sent']:,} in {result['send_seconds']:.1f} s; rows stored "
        f"{result['stored']:,} (lost {result['sent'] - result['stored']:,}); all stored after "
        f"{result['elapsed']:.1f} s; reading paused {result['pauses']:,} times"
    )
    print(f"  RSS: {result['start_rss']:.0f} MiB at the start, peak {peak:.0f} MiB")
    step = max(1, len(samples) // 12)
    shown = ", ".join(f"{t:.0f}s {rss:.0f}" for t, rss in samples[::step])
    print(f"  RSS over time (s MiB): {shown}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--factor", type=float, default=2.0)
    parser.add_argument("--calibrate", type=int, default=20_000)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        rate, count, first, members = args.serve
        await serve(float(rate), int(count), int(first), int(members))
        return
    calibration = await run(0, args.calibrate, 0, in_flight=None)
    sustained = calibration["stored"] / calibration["elapsed"]
    print(f"sustainable: {sustained:,.0f} frames/s ({calibration['stored']:,} stored)")
    rate = args.factor * sustained
    count = int(rate * args.seconds)
    print(f"overload: {rate:,.0f} frames/s ({args.factor:g}x) for {args.seconds:g} s = {count:,}")
    show(
        "with backpressure (1,000 handlers in flight)",
        await run(rate, count, 10**6, in_flight=None),
    )
    if args.compare:
        show(
            "without (no bound on handlers in flight)",
            await run(rate, count, 10**7, in_flight=10**9),
        )


if __name__ == "__main__":
    asyncio.run(main())
