"""Gateway outages and restarts in real time: what reaches the log, and how soon Terreau is back.

Against the project's fake Discord (tests/adapters/discord/fake_discord.py), on the wall
clock. For each outage length, the gateway closes the connection with 4000 and refuses
every reconnect (HTTP 503) for that long while a member posts ten messages a second;
then one more message is posted. Measured: the messages of the outage that reached the
client, the IDENTIFYs sent, the refused attempts, and the seconds from the outage's end
to the client being back (RESUMED, or READY of a new session). Compared with a plain
`discord.AutoShardedClient`, whose handler just counts messages.

Then a restart: Terreau is stopped, a member posts one message a second for the gap, and
a new Terreau starts on the same database; measured are the messages logged and how long
the start took (reading the guild from the REST API, then RESUME and its replay).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import discord  # noqa: TID251 (measures the Discord adapter)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.discord import DiscordAdapter  # noqa: E402
from adapters.discord.adapter import point_at  # noqa: E402
from bot.app import App, create_app  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.commands import CommandRegistry  # noqa: E402
from bot.prompts import Prompts  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from tests.adapters.discord.conftest import discord_settings  # noqa: E402
from tests.adapters.discord.fake_discord import FakeDiscord  # noqa: E402
from tests.faults.test_discord_gateway import posted  # noqa: E402

PROMPTS = Prompts.load(ROOT / "prompts")
RATE = 0.1
"""Seconds between two messages during an outage."""


class Poster:
    """A member posting through the fake gateway."""

    def __init__(self, server: FakeDiscord) -> None:
        self.server = server
        self.ids: list[str] = []

    async def post(self) -> str:
        message = posted(len(self.ids), datetime.now(UTC))
        self.ids.append(message["id"])
        await self.server.dispatch("MESSAGE_CREATE", message)
        return str(message["id"])


async def terreau(server: FakeDiscord, path: Path) -> App:
    """Start a whole Terreau (SQLite file in `path`) whose only platform is Discord."""
    url = f"sqlite+aiosqlite:///{path / 'terreau.db'}"
    await upgrade(url)
    settings = discord_settings(server, path)
    clock = SystemClock()
    commands = CommandRegistry()
    adapter = DiscordAdapter(
        token="fake.bot.token",
        settings=settings.discord,
        communities=settings.communities,
        commands=commands,
        prompts=PROMPTS,
        clock=clock,
    )
    app = await create_app(
        settings,
        database=await Database.connect(url, clock=clock),
        prompts=PROMPTS,
        platforms={"discord": adapter},
        clock=clock,
        commands=commands,
    )
    await app.start()
    return app


def logged(path: Path) -> set[str]:
    with sqlite3.connect(path / "terreau.db") as db:
        rows = db.execute("SELECT message_id FROM interactions WHERE kind = 'message'")
        return {str(row[0]) for row in rows}


async def wait_for(condition: Callable[[], bool], limit: float = 300) -> None:
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 (a bounded probe of another task's work)
            await asyncio.sleep(0.01)


async def outage(server: FakeDiscord, poster: Poster, length: float) -> tuple[list[str], float]:
    """Run one outage; return the ids posted during it and the wall time it ended."""
    end = time.monotonic() + length
    server.down = lambda: time.monotonic() < end
    await server.drop(code=4000)
    during: list[str] = []
    while time.monotonic() < end:
        during.append(await poster.post())
        await asyncio.sleep(RATE)
    return during, end


async def with_terreau(length: float) -> dict[str, object]:
    server = FakeDiscord()
    await server.start()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        app = await terreau(server, path)
        try:
            poster = Poster(server)
            during, end = await outage(server, poster, length)
            await wait_for(lambda: bool(server.resumes) or len(server.identifies) > 1)
            back = time.monotonic() - end
            last = await poster.post()
            await wait_for(lambda: last in logged(path))
            kept = len(set(during) & logged(path))
        finally:
            await app.stop()
            await server.stop()
    return _figures("Terreau", length, during, kept, server, back)


async def with_stock_client(length: float) -> dict[str, object]:
    server = FakeDiscord()
    await server.start()
    settings = discord_settings(server, Path(tempfile.gettempdir())).discord
    previous = point_at(settings)
    intents = discord.Intents.default()
    client = discord.AutoShardedClient(intents=intents, shard_count=1, shard_ids=[0])
    seen: set[str] = set()

    async def on_message(message: discord.Message) -> None:
        seen.add(str(message.id))

    client.on_message = on_message  # type: ignore[attr-defined]
    await client.login("fake.bot.token")
    runner = asyncio.create_task(client.connect())
    try:
        await client.wait_until_ready()
        poster = Poster(server)
        during, end = await outage(server, poster, length)
        await wait_for(lambda: bool(server.resumes) or len(server.identifies) > 1)
        back = time.monotonic() - end
        last = await poster.post()
        await wait_for(lambda: last in seen)
        kept = len(set(during) & seen)
    finally:
        await client.close()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = previous
        await server.stop()
    return _figures("discord.py AutoShardedClient", length, during, kept, server, back)


def _figures(
    client: str, length: float, during: list[str], kept: int, server: FakeDiscord, back: float
) -> dict[str, object]:
    return {
        "client": client,
        "outage": f"{length:g} s",
        "messages kept": f"{kept} of {len(during)}",
        "IDENTIFY": len(server.identifies),
        "refused attempts": server.refused,
        "back after the end": f"{back:.1f} s",
    }


async def restart(gap: float) -> dict[str, object]:
    server = FakeDiscord()
    await server.start()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        app = await terreau(server, path)
        poster = Poster(server)
        await app.stop()
        end = time.monotonic() + gap
        while time.monotonic() < end:
            await poster.post()
            await asyncio.sleep(1.0)
        started = time.monotonic()
        app = await terreau(server, path)
        start_time = time.monotonic() - started
        try:
            await wait_for(lambda: set(poster.ids) <= logged(path), limit=60)
            kept = len(set(poster.ids) & logged(path))
        finally:
            await app.stop()
            await server.stop()
    return {
        "restart gap": f"{gap:g} s",
        "messages logged": f"{kept} of {len(poster.ids)}",
        "IDENTIFY": len(server.identifies),
        "RESUME": len(server.resumes),
        "start took": f"{start_time:.2f} s",
    }


def table(rows: list[dict[str, object]]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(row[key]) for key in head) + " |" for row in rows]
    return "\n".join(lines)


async def main(outages: list[float], gap: float) -> None:
    rows = []
    for length in outages:
        rows.append(await with_terreau(length))
        rows.append(await with_stock_client(length))
    print(table(rows))
    print()
    print(table([await restart(gap)]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", default="5,60", help="outage lengths in seconds")
    parser.add_argument("--restart-gap", type=float, default=20.0)
    arguments = parser.parse_args()
    lengths = [float(value) for value in arguments.outages.split(",")]
    asyncio.run(main(lengths, arguments.restart_gap))
