"""Shared fixtures of the fault-injection suite: a whole Terreau on a SQLite file, to break.

Every case in `tests/faults/` states in its docstring what "nothing lost" means for
it, and checks that against the database itself, read with a plain `sqlite3`
connection (`FaultBot.rows`), not through the code under test.

Cases for other features (games, elections, the icebreaker, analytics) go beside
these: start a bot with `FaultBot.start(extra=...)` (TOML appended to the one
community), drive it with `at`, `deliver` and `command`, break it with the
`FakePlatform`'s `failures`, a `Locker` or a restart, and read the outcome with `rows`.
Cases that need a real process to die use `crash_child.py` through `run_child`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from bot.app import App, create_app
from bot.config import parse_settings
from bot.domain import ChannelRef, CommandInvoked, Event, Member, MessagePosted, Post, SentMessage
from bot.ports import ChatPlatform
from bot.prompts import Prompts
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.fakes import FakePlatform, ManualClock, PromptLog

REPO = Path(__file__).resolve().parents[2]
PROMPTS = Prompts.load(REPO / "prompts")

settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

KEY = "console:demo"
MOD = Member(id="mod", display_name="Mo", is_admin=True)
ALICE = Member(id="alice", display_name="Alice")
BOB = Member(id="bob", display_name="Bob")

# Monday 23 November 2026, 08:00 in Paris (UTC+1): one hour before the weekly ritual.
BEFORE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
AT_NINE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
QUESTION_JOB = "posts:console:demo:question"

COMMUNITY = """
[ingest]
store_content = {store_content}
flush_interval_ms = 50

[[communities]]
platform = "console"
id = "demo"
name = "Demo"
timezone = "Europe/Paris"
channels = {{ general = "general", moderators = "mods" }}

[communities.posts]
dead_channel_after = {dead_after}
"""

QUESTION = """
[[communities.posts.schedules]]
name = "question"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
grace_minutes = 120
"""


def config_text(
    *, rituals: str = QUESTION, store_content: bool = False, dead_after: int = 0, extra: str = ""
) -> str:
    """Return a config with the demo community, its rituals, and `extra` TOML appended."""
    head = COMMUNITY.format(store_content=str(store_content).lower(), dead_after=dead_after)
    return head + rituals + extra


_ids = itertools.count(1)


def next_id(prefix: str = "e") -> str:
    """Return a fresh id for an event or a message."""
    return f"{prefix}{next(_ids)}"


def message(member: Member, at: datetime, **fields: Any) -> MessagePosted:
    """Return a member's message in #general (fields override the defaults)."""
    values: dict[str, Any] = {
        "event_id": next_id(),
        "community": KEY,
        "occurred_at": at,
        "member": member,
        "channel_id": "general",
        "message_id": next_id("u"),
    }
    values.update(fields)
    return MessagePosted(**values)


@dataclass
class TimedPlatform(FakePlatform):
    """A `FakePlatform` that notes the clock's time of every send attempt."""

    clock: ManualClock | None = None
    attempt_times: list[datetime] = field(default_factory=list)

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        assert self.clock is not None
        self.attempt_times.append(self.clock.now())
        return await super().send(where, post, nonce=nonce)


class FaultBot:
    """Starts, stops and restarts apps on one SQLite file, and reads that file back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / "terreau.db"
        self.url = f"sqlite+aiosqlite:///{self.db_path}"
        self.clock = ManualClock(BEFORE)
        self.platform = FakePlatform(name="console")
        self.app: App | None = None
        self.prompts = PromptLog(PROMPTS)

    async def start(
        self,
        text: str | None = None,
        *,
        platform: ChatPlatform | None = None,
        busy_timeout: float = 10.0,
        prompts: Prompts | None = None,
    ) -> App:
        """Start an app on the file (config `text`, default `config_text()`)."""
        settings_ = parse_settings(config_text() if text is None else text, self.path / "t.toml")
        database = await Database.connect(self.url, clock=self.clock, busy_timeout=busy_timeout)
        if platform is None:
            platform = FakePlatform(name="console")
        if isinstance(platform, FakePlatform):
            self.platform = platform
        try:
            app = await create_app(
                settings_,
                database=database,
                prompts=self.prompts if prompts is None else prompts,  # type: ignore[arg-type]
                platforms={"console": platform},
                clock=self.clock,
            )
        except BaseException:
            await database.close()
            raise
        self.app = app  # stopped by `stop`, even if what follows fails
        await app.start()
        await app.scheduler.idle()
        return app

    def said(self, post: Post, *names: str) -> tuple[str, dict[str, object]]:
        """The prompt `post` is, and the variables `names` it was given."""
        return self.prompts.said(post, *names)

    async def stop(self) -> None:
        """Stop the app (flushing the interaction log) as an operator would."""
        if self.app is not None:
            app, self.app = self.app, None
            await app.stop()

    async def at(self, moment: datetime) -> None:
        """Move the clock to `moment` and let every due run finish."""
        await self.clock.set(moment)
        assert self.app is not None
        await self.app.scheduler.idle()

    async def deliver(self, event: Event) -> None:
        """Hand an event to the dispatcher, as an adapter would."""
        assert self.app is not None
        await self.app.dispatcher.dispatch(event)

    async def command(self, member: Member, group: str, action: str, *args: str) -> str:
        """Run `/terreau group action args` as `member`; return the event id."""
        event_id = next_id()
        await self.deliver(
            CommandInvoked(
                event_id=event_id,
                community=KEY,
                occurred_at=self.clock.now(),
                member=member,
                channel_id="general",
                group=group,
                action=action,
                args=args,
            )
        )
        return event_id

    async def flush(self) -> None:
        """Wait until every interaction handed to the writer is committed."""
        assert self.app is not None
        await self.app.writer.flush()

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Run a query on the database file with a connection of its own."""
        return query(self.db_path, sql, *params)


def query(db_path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Read the database file directly (read-only), bypassing Terreau's code."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return list(connection.execute(sql, params))
    finally:
        connection.close()


@pytest.fixture
async def fault_bot(tmp_path: Path) -> AsyncIterator[FaultBot]:
    """A migrated SQLite file and a bot to start on it; stopped at the end."""
    bot = FaultBot(tmp_path)
    await upgrade(bot.url)
    try:
        yield bot
    finally:
        await bot.stop()


class Locker:
    """Another writer: a plain `sqlite3` connection holding `BEGIN IMMEDIATE` on the file."""

    def __init__(self, db_path: Path) -> None:
        self._connection = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        self.held = False

    def hold(self) -> None:
        """Take the write lock (every other writer now waits or fails with SQLITE_BUSY)."""
        self._connection.execute("BEGIN IMMEDIATE")
        self.held = True

    def release(self) -> None:
        """Let go of the lock without writing anything."""
        if self.held:
            self._connection.execute("ROLLBACK")
            self.held = False

    def close(self) -> None:
        """Release and close."""
        self.release()
        self._connection.close()


@pytest.fixture
def locker(fault_bot: FaultBot) -> Iterator[Locker]:
    """A second writer on the bot's database file."""
    held = Locker(fault_bot.db_path)
    try:
        yield held
    finally:
        held.close()


@dataclass(frozen=True, kw_only=True, slots=True)
class ChildResult:
    """How a child process ended, and what it printed on stderr."""

    returncode: int
    stderr: str


async def run_child(*args: str, limit: float = 120) -> ChildResult:
    """Run `tests/faults/crash_child.py` with `sys.executable`; wait for its exit (bounded)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.faults.crash_child",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), limit)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return ChildResult(returncode=process.returncode, stderr=stderr.decode(errors="replace"))
