"""Memory of the Discord adapter as a guild grows: Terreau's client vs discord.py's defaults.

Feeds N recorded GUILD_MEMBER_ADD and MESSAGE_CREATE payloads (N distinct members)
straight into discord.py's gateway parsers, through Terreau's event handlers and
`translate`, into a sink that drops the events, and reports the memory still held
(tracemalloc) after each step. The comparison client is a plain
`discord.AutoShardedClient` with the same intents and discord.py's default member and
message caches (chunking off for both: there is no gateway here to chunk through).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import json
import tracemalloc
from pathlib import Path
from typing import Any

import discord  # noqa: TID251 (measures the Discord adapter)

from adapters.discord._client import TerreauClient
from bot.clock import SystemClock
from bot.commands import CommandRegistry
from bot.config import DiscordSettings
from bot.domain import Event
from bot.prompts import Prompts

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = ROOT / "tests" / "adapters" / "discord" / "payloads"
GUILD = 1187654321098765432


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return data


async def measure(kind: str, steps: list[int]) -> list[tuple[int, float]]:
    settings = DiscordSettings()
    seen = [0]
    client: discord.Client
    if kind == "terreau":
        terreau = TerreauClient(
            settings=settings,
            guilds={GUILD: f"discord:{GUILD}"},
            commands=CommandRegistry(),
            prompts=Prompts.load(ROOT / "prompts"),
            clock=SystemClock(),
        )

        async def sink(event: Event) -> None:
            seen[0] += 1

        terreau.sink = sink
        client = terreau
    else:
        # Chunking is off here too (there is no gateway to chunk through): the
        # comparison is the member and message caches alone.
        client = discord.AutoShardedClient(
            intents=terreau_intents(), shard_count=1, chunk_guilds_at_startup=False
        )
    await client._async_setup_hook()
    client._connection.parsers["GUILD_CREATE"](load("guild_create"))
    figures = []
    fed = 0
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    for total in steps:
        await feed(client, fed, total, seen)
        fed = total
        gc.collect()
        figures.append((total, (tracemalloc.get_traced_memory()[0] - base) / 2**20))
    await client.close()
    return figures


async def feed(client: discord.Client, start: int, end: int, seen: list[int]) -> None:
    join, message = load("guild_member_add"), load("message_create")
    parsers = client._connection.parsers
    target = seen[0] + 2 * (end - start)
    for index in range(start, end):
        user_id = str(1170000000000000100 + index)
        joined = copy.deepcopy(join)
        joined["user"]["id"] = user_id
        parsers["GUILD_MEMBER_ADD"](joined)
        posted = copy.deepcopy(message)
        posted["id"] = str(1188000000000100000 + index)
        posted["author"] = dict(posted["author"], id=user_id)
        parsers["MESSAGE_CREATE"](posted)
        if index % 500 == 0:
            await asyncio.sleep(0)
    while isinstance(client, TerreauClient) and seen[0] < target:  # noqa: ASYNC110
        await asyncio.sleep(0)
    for _ in range(10):
        await asyncio.sleep(0)


def terreau_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.members = True
    return intents


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", default="1000,10000,50000")
    args = parser.parse_args()
    steps = [int(step) for step in args.steps.split(",")]
    tracemalloc.start()
    for kind in ("terreau", "discord.py defaults"):
        figures = await measure("terreau" if kind == "terreau" else "plain", steps)
        shown = ", ".join(f"{members:,} members: {mib:.1f} MiB" for members, mib in figures)
        print(f"{kind:>20}: {shown}")


if __name__ == "__main__":
    asyncio.run(main())
