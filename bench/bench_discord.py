"""Discord throughput: gateway frames into bare discord.py vs Terreau wired as `terreau run`.

The same stream of gateway frames (JSON text, as the gateway sends them: messages,
replies, reactions, joins from 5,000 members with roles, in 20 channels) goes through
`DiscordWebSocket.received_message`, exactly as a shard's reading loop hands them over:

1. bare: a `discord.Client` with Terreau's intents and caches (no member or message
   cache) whose handlers read the ids of what arrived;
2. Terreau: the `TerreauClient` of a `DiscordAdapter`, its sink the app's `receive`
   as `create_app` wires it (translate -> `Dispatcher` -> `InteractionRecorder` ->
   `InteractionWriter` -> a freshly migrated SQLite file, features subscribed), the
   reading loop waiting for room as `ResumingShard.worker` does (backpressure).

Each is timed from the first frame until every handler returned (and, for Terreau,
`flush()` returned); the stored rows are counted. Each round also says how much CPU
the event loop's thread used a frame, how much the writer's SQLite thread used a row,
and how long the garbage collector ran. A last Terreau round runs under
cProfile to say where its time goes. `--holdup` turns hold-ups on in the community
(none is running): a feature that reads typed messages, whatever their channel.

Run: .venv/bin/python bench/bench_discord.py [--events 50000] [--rounds 3] [--holdup]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord  # noqa: TID251 (measures the Discord adapter)
from discord.gateway import DiscordWebSocket  # noqa: TID251
from sqlalchemy import text

from adapters.discord import DiscordAdapter
from adapters.discord._client import TerreauClient, intents_for
from adapters.discord._parsers import HotFrames
from bot.app import App, create_app
from bot.clock import SystemClock
from bot.commands import CommandRegistry
from bot.config import parse_settings
from bot.prompts import Prompts
from bot.storage import Database, upgrade
from bot.storage._sqlite_process import SqliteProcess

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _layers import where_time_goes  # noqa: E402

PAYLOADS = ROOT / "tests" / "adapters" / "discord" / "payloads"
GUILD = "1187654321098765432"
MOD_ROLE = "1187654321098765700"
MEMBERS = 5_000
CHANNELS = [str(1187654321098765500 + n) for n in range(20)]
CONFIG = f"""
[discord]
members_intent = true
message_content = true

[[communities]]
platform = "discord"
id = "{GUILD}"
name = "Bench"
channels = {{ general = "{CHANNELS[0]}" }}
"""
HOLDUP = """
[communities.holdup]
enabled = true
"""


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def guild_create() -> dict[str, Any]:
    guild = load("guild_create")
    channel = guild["channels"][0]
    guild["channels"] = [dict(channel, id=cid, name=f"c{n}") for n, cid in enumerate(CHANNELS)]
    guild["threads"] = []
    return guild


def frames(count: int, seed: int = 11) -> tuple[list[str], dict[str, int]]:
    """Return `count` gateway frames (45 % messages, 10 % replies, 40 % reactions, 5 % joins)."""
    rng = random.Random(seed)
    base = discord.utils.time_snowflake(datetime.now(UTC))  # ids of now, as Discord gives
    message, reaction, join = (
        load("message_create"),
        load("message_reaction_add"),
        load("guild_member_add"),
    )
    author, member = message["author"], message["member"]
    result: list[str] = []
    kinds = {"message": 0, "reply": 0, "reaction": 0, "join": 0}
    for index in range(count):
        who = min(int(rng.paretovariate(1.2)) - 1, MEMBERS - 1)
        user = dict(author, id=str(1170000000000100000 + who), username=f"m{who}")
        roles = [MOD_ROLE] if who % 50 == 0 else []
        channel = CHANNELS[rng.randrange(len(CHANNELS))]
        message_id = str(base + index)
        stamp = f"2026-11-23T09:{(index // 1000) % 60:02d}:{index % 60:02d}.123000+00:00"
        roll = rng.random()
        if roll < 0.55:
            data = dict(
                message,
                id=message_id,
                channel_id=channel,
                author=user,
                member=dict(member, roles=roles, nick=f"member {who}"),
                content="Bonjour ?" if roll < 0.05 else "Bonjour tout le monde",
                timestamp=stamp,
                mentions=[],
            )
            if roll >= 0.45 and index:
                data["type"] = 19
                data["message_reference"] = {
                    "message_id": str(base + rng.randrange(index)),
                    "channel_id": channel,
                    "guild_id": GUILD,
                }
                kinds["reply"] += 1
            else:
                kinds["message"] += 1
            event = "MESSAGE_CREATE"
        elif roll < 0.95:
            data = dict(
                reaction,
                user_id=user["id"],
                channel_id=channel,
                message_id=str(base + 10**9 + index),
                member=dict(reaction["member"], user=user, roles=roles, nick=f"member {who}"),
            )
            event = "MESSAGE_REACTION_ADD"
            kinds["reaction"] += 1
        else:
            newcomer = dict(author, id=str(1170000000001000000 + index), username=f"n{index}")
            data = dict(join, user=newcomer, joined_at=stamp)
            event = "GUILD_MEMBER_ADD"
            kinds["join"] += 1
        result.append(json.dumps({"op": 0, "t": event, "s": index + 2, "d": data}))
    return result, kinds


def gateway_for(
    client: discord.Client, kind: type[DiscordWebSocket] = DiscordWebSocket
) -> DiscordWebSocket:
    """Return a gateway connection of class `kind` wired to `client` as `from_client` wires it."""
    ws = kind(None, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    ws._connection = client._connection
    ws._discord_parsers = client._connection.parsers
    ws._dispatch = client.dispatch
    ws.call_hooks = client._connection.call_hooks
    ws.shard_id = 0
    ws.shard_count = 1
    ws.session_id = "bench"
    ws.sequence = 1
    return ws


class Bare(discord.Client):
    """discord.py with handlers that read the ids of what arrived."""

    def __init__(self) -> None:
        settings = parse_settings(CONFIG, Path("bench.toml")).discord
        super().__init__(
            intents=intents_for(settings),
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
        )
        self.handled = 0
        self.ids: tuple[object, ...] = ()

    async def on_message(self, message: discord.Message) -> None:
        self.ids = (message.id, message.author.id, message.channel.id, message.reference)
        self.handled += 1

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        self.ids = (event.message_id, event.user_id, event.channel_id, None)
        self.handled += 1

    async def on_member_join(self, member: discord.Member) -> None:
        self.ids = (member.id, member.joined_at, None, None)
        self.handled += 1


async def feed(ws: DiscordWebSocket, stream: list[str], room: Callable[[], Any] | None) -> None:
    for number, frame in enumerate(stream):
        if room is not None:
            await room()
        await ws.received_message(frame)
        if number % 64 == 0:
            await asyncio.sleep(0)  # a socket read yields now and then


COLLECTING = [0.0, 0.0]
"""Seconds the garbage collector ran since reset, and when its current pass began."""


def time_the_collector(phase: str, _info: dict[str, Any]) -> None:
    """Add up the garbage collector's passes (a `gc.callbacks` entry)."""
    if phase == "start":
        COLLECTING[1] = time.perf_counter()
    else:
        COLLECTING[0] += time.perf_counter() - COLLECTING[1]


def cpu_line(name: str, frames: int, loop_cpu: float, writer_cpu: float | None = None) -> str:
    """Return what a round's threads and collector used, per frame (and per row written)."""
    writer = "" if writer_cpu is None else f", writer {1e6 * writer_cpu / frames:.1f} us a row"
    return (
        f"  {name}: event loop's thread {1e6 * loop_cpu / frames:.1f} us of CPU a frame"
        f"{writer}; garbage collector {COLLECTING[0]:.2f} s"
    )


async def bare_round(stream: list[str]) -> float:
    client = Bare()
    await client._async_setup_hook()
    client._connection.parsers["GUILD_CREATE"](guild_create())
    ws = gateway_for(client)
    COLLECTING[0] = 0.0
    began, cpu = time.perf_counter(), time.thread_time()
    await feed(ws, stream, None)
    while client.handled < len(stream):  # noqa: ASYNC110 (the handlers' tasks finish)
        await asyncio.sleep(0)
    elapsed, cpu = time.perf_counter() - began, time.thread_time() - cpu
    await client.close()
    print(cpu_line("bare", len(stream), cpu))
    return len(stream) / elapsed


async def terreau_app(folder: Path, config: str) -> tuple[App, TerreauClient]:
    url = f"sqlite+aiosqlite:///{folder / 'terreau.db'}"
    await upgrade(url)
    settings = parse_settings(config, folder / "terreau.toml")
    prompts = Prompts.load(ROOT / "prompts")
    commands = CommandRegistry()
    clock = SystemClock()
    adapter = DiscordAdapter(
        token="bench",
        settings=settings.discord,
        communities=settings.communities,
        commands=commands,
        prompts=prompts,
        clock=clock,
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
    # What `app.start()` does for the event path, without a gateway to log in to.
    await app.writer.start()
    client = adapter.client
    client.sink = app.receive
    await client._async_setup_hook()
    client._connection.parsers["GUILD_CREATE"](guild_create())
    # The guild's arrival is handled once (its community marked back) before the
    # rounds time events: it is no per-event cost, and the bare client has none.
    await asyncio.sleep(0)
    while client.handling:
        await asyncio.wait(set(client.handling))
    return app, client


WRITING = [0.0]
"""Seconds the writer spent in its batch transactions (from sending the first rows to commit)."""


def time_the_writer() -> None:
    """Add up the time the writer spends in its batch transactions, in the SQLite process."""
    run = SqliteProcess.run

    async def timed(self: SqliteProcess, *args: Any) -> Any:
        began = time.perf_counter()
        try:
            return await run(self, *args)
        finally:
            WRITING[0] += time.perf_counter() - began

    SqliteProcess.run = timed  # type: ignore[method-assign]


def children_cpu() -> float:
    """Return the CPU seconds used by this process's ended (and waited for) children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def terreau_round(
    stream: list[str], config: str, profile: cProfile.Profile | None = None
) -> float:
    with tempfile.TemporaryDirectory(prefix="terreau-bench-") as folder:
        app, client = await terreau_app(Path(folder), config)
        ws = gateway_for(client, HotFrames)
        if profile is not None:
            profile.enable()
        WRITING[0] = 0.0
        children = children_cpu()
        COLLECTING[0] = 0.0
        began, cpu = time.perf_counter(), time.thread_time()
        await feed(ws, stream, client.in_flight.room)
        while client.handling:
            await asyncio.wait(set(client.handling))
        await app.writer.flush()
        elapsed, cpu = time.perf_counter() - began, time.thread_time() - cpu
        if profile is not None:
            profile.disable()
        async with app.database.read() as uow:
            stored = (
                await uow.connection.execute(text("SELECT count(*) FROM interactions"))
            ).scalar()
        waits, pauses = app.writer.stats.waits, client.in_flight.pauses
        await app.stop()  # the writer's SQLite process exits: its CPU is counted
        await client.close()
        writer_cpu = children_cpu() - children
    if stored != len(stream):
        print(f"  (warning: {stored:,} rows stored for {len(stream):,} frames)")
    print(
        f"  terreau: {stored:,} rows stored; submits that waited {waits:,}; "
        f"reader pauses {pauses:,}; the writer's SQLite process wrote for {WRITING[0]:.2f} s "
        f"of {elapsed:.2f} s"
    )
    print(cpu_line("terreau", len(stream), cpu, writer_cpu))
    return len(stream) / elapsed


GROUPS = {
    "discord.py (frames, parsing, models, its dispatch)": ("site-packages/discord/",),
    "json": ("json/",),
    "translate (events, members)": ("adapters/discord/translate.py", "adapters/discord/_members"),
    "Terreau's parsers and client (handlers, backpressure)": (
        "adapters/discord/_parsers.py",
        "adapters/discord/_client.py",
        "adapters/discord/_gateway.py",
        "adapters/_backpressure.py",
        "adapters/_eager.py",
    ),
    "app.receive (metrics, log context)": (
        "bot/app.py",
        "bot/observability/",
        "bot/logs.py",
        "prometheus_client/",
        "contextlib.py",
    ),
    "dispatch + features (config lookups included)": (
        "bot/dispatch.py",
        "bot/features/",
        "bot/config/",
        "pydantic/",
    ),
    "record + queue": (
        "bot/storage/ingest.py",
        "bot/storage/_event_rows.py",
        "bot/storage/directory.py",
    ),
    "batch preparation (values, timestamps)": (
        "bot/storage/_batch.py",
        "bot/storage/_sqlite_batch.py",
        "sqlalchemy/",
    ),
    "asyncio (tasks, callbacks)": ("asyncio/", "contextvars", "_weakrefset"),
    "waiting (epoll: for the writer's thread, or the feed's turns)": ("select.epoll",),
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--holdup", action="store_true", help="turn hold-ups on")
    args = parser.parse_args()
    config = CONFIG + HOLDUP if args.holdup else CONFIG
    time_the_writer()
    gc.callbacks.append(time_the_collector)
    stream, kinds = frames(args.events)
    print(
        f"{len(stream):,} gateway frames: "
        + ", ".join(f"{count:,} {kind}s" for kind, count in kinds.items())
        + f"; {MEMBERS:,} members, {len(CHANNELS)} channels"
    )
    ratios = []
    for number in range(1, args.rounds + 1):
        bare = await bare_round(stream)
        terreau = await terreau_round(stream, config)
        ratios.append(terreau / bare)
        print(
            f"round {number}: bare discord.py {bare:>9,.0f}/s | Terreau {terreau:>9,.0f}/s | "
            f"ratio {terreau / bare:.2f}",
            flush=True,
        )
    print(f"median ratio of {args.rounds}: {statistics.median(ratios):.2f} (target >= 0.8)")
    if not args.no_profile:
        profile = cProfile.Profile()
        await terreau_round(stream, config, profile)
        where_time_goes(profile, GROUPS)


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    asyncio.run(main())
