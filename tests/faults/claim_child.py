"""One of several Terreau processes sharing a database, as the README's sharding runs them.

    python -m tests.faults.claim_child --config C --database URL --now ISO --then ISO

It starts the app on the real Slack adapter (the config's `[slack] api_base` is the
test's fake server) with its clock at `--now`, says `ready` on stdout and waits for a
line on stdin; then its clock jumps to `--then`, when the rituals are due, so every
process's scheduler fires them at the same moment, as running processes' timers do.
Once the scheduler is idle the app stops and the process exits 0. Each
finished outbox attempt is reported on stdout as a JSON line `{"attempted": <outbox
id>}`, so the test knows when every process has had its go at every post.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.app import create_app
from bot.commands import CommandRegistry
from bot.config import load_settings
from bot.delivery import Outcome
from bot.prompts import Prompts
from bot.storage import Database
from tests.fakes import ManualClock
from tests.faults.crash_child import platform_for


def say(line: str) -> None:
    """Write one line for the test and flush it at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def run(arguments: argparse.Namespace) -> None:
    """Start the app, wait for the go, run what is due at `--then`, stop."""
    settings = load_settings(Path(arguments.config))
    clock = ManualClock(datetime.fromisoformat(arguments.now))
    database = await Database.connect(arguments.database, clock=clock)
    prompts = Prompts.load(settings.prompts_dir)
    commands = CommandRegistry()
    arguments.platform, arguments.kill_at = "slack", None
    name, platform = platform_for(arguments, settings, prompts, commands, clock)
    app = await create_app(
        settings,
        database=database,
        prompts=prompts,
        platforms={name: platform},
        clock=clock,
        commands=commands,
    )
    attempt = app.delivery.attempt

    async def reported(outbox_id: int) -> Outcome:
        outcome = await attempt(outbox_id)
        say(json.dumps({"attempted": outbox_id}))
        return outcome

    app.delivery.attempt = reported  # type: ignore[method-assign]
    await app.start()
    await app.scheduler.idle()
    say("ready")
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await clock.set(datetime.fromisoformat(arguments.then))
    await app.scheduler.idle()
    await app.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the app once."""
    parser = argparse.ArgumentParser(prog="claim_child")
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--now", required=True)
    parser.add_argument("--then", required=True)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(run(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
