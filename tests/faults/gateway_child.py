"""A real Terreau serving a Discord guild through the fake server, in a process of its own.

    python -m tests.faults.gateway_child --config C --database URL --now ISO

It runs `bot.app.create_app` with the real Discord adapter (unmodified discord.py) on
the database, prints `serving` once started, then obeys its stdin, one command a line:
`advance SECONDS` moves its clock on (the gateway sessions' checkpoint runs on that
clock) and prints `advanced`; `stop` stops it as an operator would. The test crashes it
with SIGKILL: no flush, no last checkpoint, nothing but what the database already holds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from adapters.discord import DiscordAdapter
from bot.app import create_app
from bot.commands import CommandRegistry
from bot.config import load_settings
from bot.prompts import Prompts
from bot.storage import Database
from tests.fakes import PATIENCE, ManualClock


def say(line: str) -> None:
    """Tell the test something, at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def run(arguments: argparse.Namespace) -> None:
    """Serve until told to stop (or killed)."""
    settings = load_settings(Path(arguments.config))
    clock = ManualClock(datetime.fromisoformat(arguments.now))
    prompts = Prompts.load(settings.prompts_dir)
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
    database = await Database.connect(arguments.database, clock=clock)
    app = await create_app(
        settings,
        database=database,
        prompts=prompts,
        platforms={"discord": adapter},
        clock=clock,
        commands=commands,
    )
    await app.start()
    say("serving")
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not line or line[0] == "stop":
                return
            if line[0] == "advance":
                sleeping = clock.sleeping
                await clock.advance(timedelta(seconds=float(line[1])))
                async with asyncio.timeout(PATIENCE):
                    # Settled: nothing due is left, and what the move woke sleeps again.
                    while clock.next_wake(timedelta(0)) is not None or clock.sleeping < sleeping:  # noqa: ASYNC110 (bounded probe)
                        await asyncio.sleep(0.001)
                say("advanced")
    finally:
        await app.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(prog="gateway_child")
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--now", required=True)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(run(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
