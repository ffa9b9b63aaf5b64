"""Three processes on one PostgreSQL database run the same rituals: each run is sent once.

Run as the README's sharding section says, every process schedules every ritual, and
every process's timer fires it at 09:00; one claims each run in the ledger, the
others lose the claim and find its post still pending while the winner's send is in
flight. The shared fake Slack holds every post's
answer until each process has had its go at each post (or a post arrives twice), so the
losers look exactly while the winner is sending. Slack drops no repeated send: the
count of `chat.postMessage` per post is the count of posts members would see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.slack.fake_slack import FakeSlack
from tests.conftest import POSTGRES_ENV, _admin
from tests.faults.conftest import AT_NINE, REPO
from tests.faults.crash_child import SLACK_TEAM

pytestmark = pytest.mark.core

PROCESSES = 3
RITUALS = 4
BEFORE = AT_NINE - timedelta(minutes=1)
NOW = AT_NINE

CONFIG = """
[slack]
mode = "http"
api_base = "{api_base}"

[[communities]]
platform = "slack"
id = "{team}"
name = "Acme"
timezone = "Europe/Paris"
channels = {{ {channels} }}
"""

RITUAL = """
[[communities.posts.schedules]]
name = "ritual{index}"
channel = "c{index}"
cron = "0 9 * * 1"
pool = "discussion"
grace_minutes = 120
"""


@pytest.fixture
async def shared_url(postgres_url: str | None) -> str:
    """An empty, migrated PostgreSQL database for the processes to share."""
    if postgres_url is None:
        pytest.skip(f"set {POSTGRES_ENV}: the processes share one PostgreSQL database")
    await _admin(postgres_url, "DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public")
    await upgrade(postgres_url)
    return postgres_url


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(clock=lambda: NOW)
    await fake.start()
    yield fake
    await fake.stop()


class Processes:
    """The child processes, what they reported, and when each had its go at each post."""

    def __init__(self) -> None:
        self.children: list[asyncio.subprocess.Process] = []
        self.ready = 0
        self.attempts: Counter[int] = Counter()
        self.changed = asyncio.Event()
        self.readers: list[asyncio.Task[None]] = []
        self.logs: list[asyncio.Task[str]] = []

    async def start(self, *args: str) -> None:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.faults.claim_child",
            *args,
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self.children.append(child)
        self.readers.append(asyncio.create_task(self._read(child)))
        self.logs.append(asyncio.create_task(self._log(child)))

    async def _log(self, child: asyncio.subprocess.Process) -> str:
        assert child.stderr is not None
        return (await child.stderr.read()).decode(errors="replace")

    async def _read(self, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        async for line in child.stdout:
            text = line.decode().strip()
            if text == "ready":
                self.ready += 1
            elif text.startswith("{"):
                self.attempts[json.loads(text)["attempted"]] += 1
            self.changed.set()

    async def wait_for(self, condition: object) -> None:
        async with asyncio.timeout(120):
            while not condition():  # type: ignore[operator]
                self.changed.clear()
                await self.changed.wait()

    def go(self) -> None:
        for child in self.children:
            assert child.stdin is not None
            child.stdin.write(b"go\n")

    async def finish(self) -> list[tuple[int, str]]:
        async with asyncio.timeout(120):
            codes = [await child.wait() for child in self.children]
            await asyncio.gather(*self.readers)
            logs = await asyncio.gather(*self.logs)
        return list(zip(codes, logs, strict=True))

    async def kill(self) -> None:
        for child in self.children:
            if child.returncode is None:
                child.kill()
                await child.wait()


async def test_a_process_that_loses_the_claim_does_not_send(
    shared_url: str, slack: FakeSlack, tmp_path: Path
) -> None:
    """Each ritual run is posted once although every process's timer fired it at 09:00,
    and the outbox shows each post sent with the one message Slack holds."""
    channels = ", ".join(f'c{index} = "C0CHAN{index}"' for index in range(RITUALS))
    config = tmp_path / "terreau.toml"
    config.write_text(
        CONFIG.format(api_base=slack.api_base, team=SLACK_TEAM, channels=channels)
        + "".join(RITUAL.format(index=index) for index in range(RITUALS)),
        encoding="utf-8",
    )
    released = asyncio.Event()

    async def hold() -> None:  # the post is on Slack; its answer waits
        processes.changed.set()
        await released.wait()

    slack.after_post = hold

    def posted_twice() -> bool:
        return any(len(messages) > 1 for messages in slack.messages.values())

    def every_loser_looked() -> bool:
        return len(processes.attempts) == RITUALS and all(
            count >= PROCESSES - 1 for count in processes.attempts.values()
        )

    processes = Processes()
    try:
        for _ in range(PROCESSES):
            await processes.start(
                *("--config", str(config), "--database", shared_url),
                *("--now", BEFORE.isoformat(), "--then", NOW.isoformat()),
            )
        await processes.wait_for(lambda: processes.ready == PROCESSES)
        processes.go()
        await processes.wait_for(lambda: every_loser_looked() or posted_twice())
        released.set()
        results = await processes.finish()
    finally:
        released.set()
        with contextlib.suppress(ProcessLookupError):
            await processes.kill()

    for code, stderr in results:
        assert code == 0, stderr
    posts = Counter(call.params["channel"] for call in slack.called("chat.postMessage"))
    assert posts == {f"C0CHAN{index}": 1 for index in range(RITUALS)}
    database = await Database.connect(shared_url)
    try:
        async with database.read() as uow:
            rows = [await uow.outbox.get(outbox_id) for outbox_id in processes.attempts]
    finally:
        await database.close()
    by_channel = {row.channel_id: row for row in rows if row is not None}
    assert {channel: row.status for channel, row in by_channel.items()} == {
        f"C0CHAN{index}": "sent" for index in range(RITUALS)
    }
    for channel, row in by_channel.items():
        assert row.message_id == slack.messages[channel][0]["ts"]
