"""A real Terreau in a process of its own, which can SIGKILL itself at a named point.

    python -m tests.faults.crash_child --config C --database URL --sent FILE --now ISO
        [--kill-at claimed|send|sent]

It runs `bot.app.create_app` on the database with a `FilePlatform`: every post is
appended to a JSON-lines file, and a send whose nonce the file already holds
returns the first message instead of posting again (what Discord does with a
nonce). The clock stands still at `--now`, so the scheduler catches up on what is
due at that instant and nothing waits for real time; the process then stops
cleanly and exits 0, unless it killed itself first:

- `claimed`: inside the ritual's transaction, after the run is claimed in the
  ledger and before the post is queued (the transaction never commits);
- `send`: inside `send`, before the post is written to the file;
- `sent`: inside `send`, after the post is written and before `send` returns.

The hooks live here, in the test's process double, never in production code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import create_app
from bot.config import load_settings
from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Member,
    Post,
    SentMessage,
    post_to_dict,
)
from bot.ports import EventSink
from bot.prompts import Prompts
from bot.storage import Database
from tests.fakes import ManualClock

KILL_POINTS = ("claimed", "send", "sent")


def die() -> None:
    """SIGKILL this very process: no cleanup, no flush, no commit."""
    os.kill(os.getpid(), signal.SIGKILL)


def read_sent(path: Path) -> list[dict[str, Any]]:
    """Return every record a `FilePlatform` appended to `path`."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


class FilePlatform:
    """A chat platform double whose messages survive the process: one JSON line each."""

    name = "console"

    def __init__(self, path: Path, *, kill_at: str | None = None) -> None:
        self.path = path
        self.kill_at = kill_at

    async def start(self, sink: EventSink) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        sent = read_sent(self.path)
        for record in sent:
            if record["nonce"] == nonce:
                return SentMessage(
                    community=record["community"],
                    channel_id=record["channel_id"],
                    message_id=record["message_id"],
                )
        if self.kill_at == "send":
            die()
        message = SentMessage(
            community=where.community,
            channel_id=where.channel_id,
            message_id=f"m{len(sent) + 1}",
            thread_id=where.thread_id,
        )
        self._append("send", message, post, nonce)
        if self.kill_at == "sent":
            die()
        return message

    async def update(self, message: SentMessage, post: Post) -> None:
        self._append("update", message, post, None)

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        thread = SentMessage(
            community=message.community,
            channel_id=message.channel_id,
            message_id=message.message_id,
            thread_id=f"t{message.message_id}",
        )
        self._append("thread", thread, Post(text=title), None)
        return thread

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        where = SentMessage(community=to.community, channel_id=to.channel_id, message_id="")
        self._append("respond", where, post, None)

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        message = SentMessage(
            community=community,
            channel_id=f"dm-{member_id}",
            message_id=f"m{len(read_sent(self.path)) + 1}",
        )
        self._append("direct", message, post, None)
        return message

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        return None

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        return []

    def _append(self, kind: str, message: SentMessage, post: Post, nonce: str | None) -> None:
        record = {
            "kind": kind,
            "nonce": nonce,
            "community": message.community,
            "channel_id": message.channel_id,
            "message_id": message.message_id,
            "post": post_to_dict(post),
        }
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
            file.flush()
            os.fsync(file.fileno())


async def run(arguments: argparse.Namespace) -> None:
    """Start the app at `--now`, let it do what is due, stop it."""
    settings = load_settings(Path(arguments.config))
    clock = ManualClock(datetime.fromisoformat(arguments.now))
    database = await Database.connect(arguments.database, clock=clock)
    platform = FilePlatform(Path(arguments.sent), kill_at=arguments.kill_at)
    app = await create_app(
        settings,
        database=database,
        prompts=Prompts.load(settings.prompts_dir),
        platforms={"console": platform},
        clock=clock,
    )
    if arguments.kill_at == "claimed":
        # The ritual claims its run, then queues its post in the same transaction.
        async def enqueue_then_die(*args: Any, **kwargs: Any) -> int:
            die()
            raise AssertionError("unreachable")

        app.delivery.enqueue = enqueue_then_die  # type: ignore[method-assign]
    await app.start()
    await app.scheduler.idle()
    await app.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the app once."""
    parser = argparse.ArgumentParser(prog="crash_child")
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--sent", required=True)
    parser.add_argument("--now", required=True)
    parser.add_argument("--kill-at", choices=KILL_POINTS, default=None)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(run(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
