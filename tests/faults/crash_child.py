"""A real Terreau in a process of its own, to be SIGKILLed in the middle of a send.

    python -m tests.faults.crash_child --config C --database URL --now ISO
        --platform file --sent FILE [--kill-at claimed|send|sent]
    python -m tests.faults.crash_child --config C --database URL --now ISO
        --platform slack|discord [--kill-at claimed]

It runs `bot.app.create_app` on the database with one platform:

- `file`: a `FilePlatform`, a platform that keeps every post (one JSON line each,
  with its nonce and time) and nothing else: a repeated nonce is posted again, and
  what was posted is found only by asking (`find_sent`), as on Slack;
- `slack`, `discord`: the real adapter (slack-bolt, discord.py) on the fake server
  whose address the config gives (`[slack] api_base`, `[discord] api_base` and
  `gateway_url`); the test's fake server kills this process when the post arrives.

So what survives a kill is only what the database and the platform hold. The clock
stands still at `--now`, so the scheduler catches up on what is due at that instant
and nothing waits for real time; the process then stops cleanly and exits 0, unless
it was killed first:

- `claimed`: inside the ritual's transaction, after the run is claimed in the
  ledger and before the post is queued (the transaction never commits);
- `send` (file): inside `send`, before the post is written to the file;
- `sent` (file): inside `send`, after the post is written and before `send` returns.

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
from bot.commands import CommandRegistry
from bot.config import Settings, load_settings
from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Member,
    Post,
    SentMessage,
    post_to_dict,
)
from bot.ports import ChatPlatform, Clock, EventSink
from bot.prompts import Prompts
from bot.storage import Database
from tests.fakes import ManualClock

KILL_POINTS = ("claimed", "send", "sent")
PLATFORMS = ("file", "slack", "discord")
SLACK_TEAM = "T0TERREAU"
SLACK_TOKEN = "xoxb-1111-terreau"
DISCORD_TOKEN = "fake.bot.token"


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

    def __init__(self, path: Path, clock: Clock, *, kill_at: str | None = None) -> None:
        self.path = path
        self.clock = clock
        self.kill_at = kill_at

    async def start(self, sink: EventSink) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        if self.kill_at == "send":
            die()
        message = SentMessage(
            community=where.community,
            channel_id=where.channel_id,
            message_id=f"m{len(read_sent(self.path)) + 1}",
            thread_id=where.thread_id,
        )
        self._append("send", message, post, nonce)
        if self.kill_at == "sent":
            die()
        return message

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        return [
            SentMessage(
                community=record["community"],
                channel_id=record["channel_id"],
                message_id=record["message_id"],
                thread_id=where.thread_id,
            )
            for record in read_sent(self.path)
            if record["kind"] == "send"
            and record["nonce"] == nonce
            and record["channel_id"] == where.channel_id
            and since <= datetime.fromisoformat(record["at"])
            and (until is None or datetime.fromisoformat(record["at"]) <= until)
        ]

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
            "at": self.clock.now().isoformat(),
            "community": message.community,
            "channel_id": message.channel_id,
            "message_id": message.message_id,
            "post": post_to_dict(post),
        }
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
            file.flush()
            os.fsync(file.fileno())


def platform_for(
    arguments: argparse.Namespace,
    settings: Settings,
    prompts: Prompts,
    commands: CommandRegistry,
    clock: Clock,
) -> tuple[str, ChatPlatform]:
    """Return the platform the arguments name, under the name the config's community uses."""
    if arguments.platform == "slack":
        from adapters.slack import SlackAdapter, Workspace

        slack = SlackAdapter(
            workspaces=[Workspace(team_id=SLACK_TEAM, token=SLACK_TOKEN)],
            clock=clock,
            mode="http",
            api_base=settings.slack.api_base,
            signing_secret="crash-child",
            http_port=0,
        )
        return "slack", slack
    if arguments.platform == "discord":
        from adapters.discord import DiscordAdapter

        discord = DiscordAdapter(
            token=DISCORD_TOKEN,
            settings=settings.discord,
            communities=settings.communities,
            commands=commands,
            prompts=prompts,
            clock=clock,
            guild_ready_timeout=0.01,
        )
        return "discord", discord
    kill_at = arguments.kill_at if arguments.kill_at != "claimed" else None
    return "console", FilePlatform(Path(arguments.sent), clock, kill_at=kill_at)


async def run(arguments: argparse.Namespace) -> None:
    """Start the app at `--now`, let it do what is due, stop it."""
    settings = load_settings(Path(arguments.config))
    clock = ManualClock(datetime.fromisoformat(arguments.now))
    database = await Database.connect(arguments.database, clock=clock)
    prompts = Prompts.load(settings.prompts_dir)
    commands = CommandRegistry()
    name, platform = platform_for(arguments, settings, prompts, commands, clock)
    app = await create_app(
        settings,
        database=database,
        prompts=prompts,
        platforms={name: platform},
        clock=clock,
        commands=commands,
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
    parser.add_argument("--now", required=True)
    parser.add_argument("--platform", choices=PLATFORMS, default="file")
    parser.add_argument("--sent", help="the file platform's file")
    parser.add_argument("--kill-at", choices=KILL_POINTS, default=None)
    arguments = parser.parse_args(argv)
    if arguments.platform == "file" and not arguments.sent:
        parser.error("--platform file needs --sent FILE")
    if arguments.platform != "file" and arguments.kill_at in ("send", "sent"):
        parser.error("with a real adapter, the fake server kills the process (send, sent)")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(run(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
