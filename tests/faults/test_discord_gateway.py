"""Gateway outages: unmodified discord.py, through Terreau's adapter, against the fake Discord.

"Nothing lost" means: every message members posted while the gateway was down is in
the interaction log once, in the order of its timestamp, and the outage cost no new
session (IDENTIFY), whose daily budget is finite. Outages last in the app's clock: the
fake gateway refuses connections (HTTP 503) until the clock reaches the outage's end,
and the test moves the clock in steps, so no test waits for real time to pass.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.domain import MessagePosted
from bot.storage.migrate import upgrade
from tests.adapters.discord.conftest import GENERAL, GUILD, START, Running, discord_config
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import PATIENCE, ManualClock, until
from tests.faults.conftest import REPO

pytestmark = pytest.mark.discord

MEMBER_BASE = 1170000000000001000
DISCORD_EPOCH_MS = 1420070400000


def snowflake(at: datetime, index: int) -> str:
    """Return a Discord id made at `at` (ids carry their creation time)."""
    return str(((int(at.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22) + index)


@pytest.fixture
async def server() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def running(server: FakeDiscord, tmp_path: Path) -> AsyncIterator[Running]:
    bot = Running(server, tmp_path)
    try:
        yield bot
    finally:
        await bot.stop()


def posted(index: int, at: datetime) -> dict[str, Any]:
    """Return member `index`'s MESSAGE_CREATE at `at` (its id is a snowflake of `at`)."""
    message = payload("message_create")
    member = str(MEMBER_BASE + index)
    author = dict(message["author"], id=member, username=f"member{index}")
    message.update(
        id=snowflake(at, index),
        author=author,
        member=dict(message["member"], nick=f"Member {index}"),
        content=f"message {index}",
        timestamp=at.isoformat(),
        mentions=[],
        channel_id=GENERAL,
        guild_id=GUILD,
    )
    return message


class Members:
    """Members of the guild who post through the fake gateway, one message at a time."""

    def __init__(self, server: FakeDiscord, clock: ManualClock) -> None:
        self.server = server
        self.clock = clock
        self.ids: list[str] = []

    async def post(self) -> str:
        """Post the next member's message; return its id."""
        message = posted(len(self.ids), self.clock.now())
        self.ids.append(message["id"])
        await self.server.dispatch("MESSAGE_CREATE", message)
        return str(message["id"])


def logged_messages(path: Path) -> list[tuple[str, str]]:
    """Return (message id, occurred_at) of every logged message, in log order."""
    with sqlite3.connect(path / "terreau.db") as db:
        rows = db.execute(
            "SELECT message_id, occurred_at FROM interactions WHERE kind = 'message' ORDER BY id"
        ).fetchall()
    return [(str(message_id), str(at)) for message_id, at in rows]


class Log:
    """Counts the messages the app received, to read the log once they are all in."""

    def __init__(self, app: App, path: Path) -> None:
        self.app = app
        self.path = path
        self.received: set[str] = set()
        app.dispatcher.subscribe(MessagePosted, self._note)

    async def _note(self, event: MessagePosted) -> None:
        self.received.add(event.message_id)

    async def messages(self, last: str) -> list[tuple[str, str]]:
        """Return the logged messages once message `last` reached the app."""
        await until(lambda: last in self.received)
        await self.app.writer.flush()
        return logged_messages(self.path)


async def step(clock: ManualClock, by: timedelta, done: Callable[[], bool]) -> None:
    """Move the clock on, then wait until what it woke sleeps again (or `done()`)."""
    sleeping = clock.sleeping
    await clock.advance(by)
    await until(
        lambda: (clock.next_wake(timedelta(0)) is None and clock.sleeping >= sleeping) or done()
    )


async def move_to(clock: ManualClock, moment: datetime, done: Callable[[], bool]) -> None:
    """Move the clock to `moment`, stopping at each wake on the way until its sleeper is done.

    Only the moments something waits for matter: a retry at 3.7 s is tried at 3.7 s,
    whatever the test's own steps, and no step is spent where nothing wakes.
    """
    while clock.now() < moment and not done():
        wake = clock.next_wake(moment - clock.now())
        target = moment if wake is None else min(max(wake, clock.now()), moment)
        await step(clock, target - clock.now(), done)


async def wake_sleepers(
    clock: ManualClock, done: Callable[[], bool], *, horizon: timedelta = timedelta(minutes=5)
) -> None:
    """Until `done()`, move the clock to each moment something waits for, 35 s ahead at most.

    Nothing else moves it: work that takes real time (a start-up) is not overtaken. Fails
    once the clock passed `horizon` without `done()`: the budget is the app's time, so a
    loaded machine is no reason to fail, and a client that never gets back is.
    """
    limit = clock.now() + horizon
    while not done():
        assert clock.now() <= limit, f"not done within {horizon} on the clock"
        await until(lambda: done() or clock.next_wake(timedelta(seconds=35)) is not None)
        wake = clock.next_wake(timedelta(seconds=35))
        if wake is not None and not done():
            await step(clock, max(wake - clock.now(), timedelta(0)), done)


async def drop(server: FakeDiscord, clock: ManualClock, *, code: int) -> None:
    """Close the gateway connection; return once the client waits on the clock to retry."""
    sleeping = clock.sleeping
    await server.drop(code=code)
    await until(lambda: clock.sleeping > sleeping)


async def outage(
    server: FakeDiscord,
    clock: ManualClock,
    members: Members,
    *,
    length: timedelta,
    posts: int,
    done: Callable[[], bool],
    forget_sessions: bool = False,
) -> None:
    """Close the gateway (4000) and refuse connections for `length`, members posting `posts`
    messages evenly over it.

    Then keep the clock moving until `done()`. With `forget_sessions`, the gateway
    comes back without the sessions it held (a RESUME gets op 9).
    """
    end = clock.now() + length

    def down() -> bool:
        if clock.now() < end:
            return True
        if forget_sessions:
            server.invalidate()
        server.down = lambda: False
        return False

    server.down = down
    await drop(server, clock, code=4000)
    for _ in range(posts):
        await members.post()
        await move_to(clock, clock.now() + length / posts, done)
    await move_to(clock, end, done)
    await wake_sleepers(clock, done)


def reconnected(server: FakeDiscord) -> Callable[[], bool]:
    """Return whether the client is back, by a RESUME or by a new session."""
    return lambda: bool(server.resumes) or len(server.identifies) > 1


@pytest.mark.parametrize(
    ("length", "posts"),
    [(timedelta(seconds=5), 10), (timedelta(seconds=60), 20)],
    ids=["5s", "60s"],
)
async def test_messages_posted_during_an_outage_are_all_logged_once_in_order(
    running: Running, server: FakeDiscord, tmp_path: Path, length: timedelta, posts: int
) -> None:
    app = await running.start()
    log = Log(app, tmp_path)
    members = Members(server, running.clock)
    await members.post()
    await log.messages(members.ids[-1])

    await outage(
        server, running.clock, members, length=length, posts=posts, done=reconnected(server)
    )
    await members.post()
    logged = await log.messages(members.ids[-1])

    assert [message_id for message_id, _ in logged] == members.ids
    assert [at for _, at in logged] == sorted(at for _, at in logged)
    assert server.refused >= 2  # the first RESUME was refused, and retried
    assert len(server.identifies) == 1
    assert app.dispatcher.duplicates == 0


async def test_retries_back_off_and_the_shard_is_back_soon_after_the_outage(
    running: Running, server: FakeDiscord
) -> None:
    """A minute down costs a handful of attempts, and the shard is back within 30 s of its end."""
    await running.start()
    members = Members(server, running.clock)
    start = running.clock.now()

    await outage(
        server,
        running.clock,
        members,
        length=timedelta(seconds=60),
        posts=0,
        done=reconnected(server),
    )

    assert 4 <= server.refused <= 10
    assert running.clock.now() - start <= timedelta(seconds=90)
    assert len(server.identifies) == 1


async def test_a_session_discord_no_longer_holds_starts_a_new_one(
    running: Running, server: FakeDiscord, tmp_path: Path
) -> None:
    """Op 9 (`d = false`) after the outage: one new IDENTIFY, and members are heard again.

    What was posted during the outage is lost: Discord replays only a resumed session.
    """
    app = await running.start()
    log = Log(app, tmp_path)
    members = Members(server, running.clock)
    await outage(
        server,
        running.clock,
        members,
        length=timedelta(seconds=10),
        posts=5,
        done=lambda: len(server.identifies) == 2 and len(running.presence) == 2,
        forget_sessions=True,
    )
    await members.post()
    logged = await log.messages(members.ids[-1])

    assert len(server.resumes) == 1 and server.invalidated == 1
    assert len(server.identifies) == 2
    assert [message_id for message_id, _ in logged] == [members.ids[-1]]


async def test_a_close_that_forbids_resuming_starts_a_new_session_at_once(
    running: Running, server: FakeDiscord
) -> None:
    """4009 (session timed out): no RESUME that Discord would refuse, one IDENTIFY."""
    await running.start()

    await server.drop(code=4009)
    await wake_sleepers(
        running.clock, lambda: len(server.identifies) == 2 and len(running.presence) == 2
    )

    assert server.resumes == [] and server.invalidated == 0


async def test_messages_posted_during_a_20_second_restart_are_all_logged(
    running: Running, server: FakeDiscord, tmp_path: Path
) -> None:
    """A restart within Discord's resume window RESUMEs the saved session: nothing is lost."""
    app = await running.start()
    log = Log(app, tmp_path)
    members = Members(server, running.clock)
    await members.post()
    await log.messages(members.ids[-1])

    await running.stop()
    for _ in range(10):
        await running.clock.advance(timedelta(seconds=2))
        await members.post()
    app = await running.start()
    log = Log(app, tmp_path)
    await members.post()
    logged = await log.messages(members.ids[-1])

    assert [message_id for message_id, _ in logged] == members.ids
    assert [at for _, at in logged] == sorted(at for _, at in logged)
    assert len(server.identifies) == 1
    [resume] = server.resumes
    assert resume["session_id"] == "fake-session-1"
    # The guild was read from the REST API, since RESUME sends no GUILD_CREATE.
    assert server.requests_to("GET", f"/guilds/{GUILD}/channels")
    assert len(running.presence) == 2  # served again, not left


async def test_a_restart_after_the_resume_window_starts_a_new_session(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()
    await running.stop()

    await running.clock.advance(timedelta(minutes=10))
    await running.start()

    assert server.resumes == []
    assert len(server.identifies) == 2


async def test_a_saved_session_discord_refuses_starts_a_new_one(
    running: Running, server: FakeDiscord, tmp_path: Path
) -> None:
    """Op 9 to the RESUME at start: the shard IDENTIFYs and the bot serves the guild again."""
    await running.start()
    await running.stop()
    server.invalidate()

    starting = asyncio.create_task(running.start())
    await wake_sleepers(running.clock, starting.done)
    app = await starting
    log = Log(app, tmp_path)
    members = Members(server, running.clock)
    await members.post()
    logged = await log.messages(members.ids[-1])

    assert len(server.resumes) == 1 and server.invalidated == 1
    assert len(server.identifies) == 2
    assert [message_id for message_id, _ in logged] == members.ids


WELCOMES = """
[communities.icebreaker]
enabled = true

[communities.icebreaker.welcome]
delay_minutes = 10
introduce = 0
"""
NEWBIE = "1170000000000000033"
LATECOMER = "1170000000000000034"


def held(member_id: str) -> dict[str, Any]:
    """Return GUILD_MEMBER_ADD of a member held at membership screening."""
    data = payload("guild_member_add_pending")
    data["user"] = dict(data["user"], id=member_id)
    return data


def passed(member_id: str) -> dict[str, Any]:
    """Return the GUILD_MEMBER_UPDATE that says the member passed screening."""
    data = payload("guild_member_update_screening_passed")
    data["user"] = dict(data["user"], id=member_id)
    return data


def welcomes(server: FakeDiscord, member_id: str) -> int:
    """Return how many posts in #general mentioned `member_id` (a welcome names its newcomer)."""
    return sum(
        member_id in [str(user) for user in request.body["allowed_mentions"].get("users", [])]
        for request in server.requests_to("POST", f"/channels/{GENERAL}/messages")
    )


async def test_members_held_at_screening_before_a_restart_are_welcomed_once_they_pass(
    running: Running, server: FakeDiscord
) -> None:
    """One passes while Terreau is down (the RESUME replays it), one after: each welcomed once."""
    app = await running.start(extra=WELCOMES)
    for member_id in (NEWBIE, LATECOMER):
        await server.dispatch("GUILD_MEMBER_ADD", held(member_id))
    await until(lambda: len(running.presence) == 1 and app.writer.stats.submitted >= 2)

    await running.stop()
    await running.clock.advance(timedelta(seconds=10))
    await server.dispatch("GUILD_MEMBER_UPDATE", passed(NEWBIE))
    await running.clock.advance(timedelta(seconds=10))
    app = await running.start(extra=WELCOMES)
    await server.dispatch("GUILD_MEMBER_UPDATE", passed(LATECOMER))
    await server.dispatch("GUILD_MEMBER_UPDATE", passed(LATECOMER))  # no longer held: not a pass
    await Log(app, running.path).messages(await Members(server, running.clock).post())
    assert running.adapter is not None
    client = running.adapter.client
    await until(lambda: not client.handling)

    await running.clock.advance(timedelta(minutes=11))
    await app.scheduler.idle()
    assert welcomes(server, NEWBIE) == welcomes(server, LATECOMER) == 1
    assert client.screening.held == {}
    assert len(server.identifies) == 1


class Child:
    """A Terreau process (`gateway_child`) on the fake server, driven through its stdin."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, config: Path, database: str, now: datetime) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.faults.gateway_child",
            "--config",
            str(config),
            "--database",
            database,
            "--now",
            now.isoformat(),
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        child = cls(process)
        await child._expect("serving")
        return child

    async def _expect(self, word: str) -> None:
        assert self.process.stdout is not None
        async with asyncio.timeout(PATIENCE):
            line = await self.process.stdout.readline()
        assert line.decode().strip() == word, f"the child said {line!r}, not {word!r}"

    async def advance(self, seconds: float) -> None:
        """Move the child's clock on; return once what it woke sleeps again."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"advance {seconds}\n".encode())
        await self.process.stdin.drain()
        await self._expect("advanced")

    async def kill(self) -> None:
        """SIGKILL the child: it writes nothing more."""
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        """Stop the child cleanly, or kill it if it does not stop."""
        if self.process.returncode is not None:
            return
        assert self.process.stdin is not None
        self.process.stdin.write(b"stop\n")
        await self.process.stdin.drain()
        try:
            async with asyncio.timeout(PATIENCE):
                await self.process.wait()
        except TimeoutError:
            await self.kill()
            raise


async def logged_ids(path: Path, expected: list[str]) -> list[str]:
    """Return the logged message ids once every `expected` id is in the log (bounded wait)."""
    async with asyncio.timeout(PATIENCE):
        while True:
            logged = [message_id for message_id, _ in logged_messages(path)]
            if set(expected) <= set(logged):
                return logged
            await asyncio.sleep(0.01)


def saved_sequence(path: Path) -> int | None:
    """Return the sequence saved for shard 0, read from the database file."""
    with sqlite3.connect(path / "terreau.db") as db:
        row = db.execute("SELECT sequence FROM gateway_sessions WHERE shard_id = 0").fetchone()
    return None if row is None else int(row[0])


async def test_a_process_killed_and_restarted_within_the_window_loses_nothing(
    server: FakeDiscord, tmp_path: Path
) -> None:
    """SIGKILL after events past the last checkpoint: RESUME replays them, each logged once.

    Messages 1-5 are logged and checkpointed, 6-8 logged but not checkpointed when the
    process dies, 9-12 posted while it is down; the restart comes 20 s later.
    """
    config = tmp_path / "terreau.toml"
    settings_text = discord_config(server) + "\n[ingest]\nflush_interval_ms = 20\n"
    config.write_text(settings_text, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    clock = ManualClock(START)
    members = Members(server, clock)
    first = await Child.start(config, url, clock.now())
    try:
        for _ in range(5):
            await members.post()
        await logged_ids(tmp_path, members.ids)
        await first.advance(5)  # the periodic checkpoint
        assert saved_sequence(tmp_path) == server.sessions["fake-session-1"].sequence
        for _ in range(3):
            await members.post()
        await logged_ids(tmp_path, members.ids)
    finally:
        await first.kill()

    for _ in range(4):
        await clock.advance(timedelta(seconds=5))
        await members.post()
    second = await Child.start(config, url, clock.now())
    try:
        logged = await logged_ids(tmp_path, members.ids)
    finally:
        await second.stop()

    assert logged == members.ids
    assert len(server.identifies) == 1 and len(server.resumes) == 1


async def test_a_gateway_that_drops_every_resume_is_retried_with_backoff(
    running: Running, server: FakeDiscord
) -> None:
    """Connections that close as soon as they RESUME are spaced out, not retried in a loop."""
    await running.start()
    server.close_on_resume = 4000
    clock = running.clock
    end = clock.now() + timedelta(seconds=60)

    await drop(server, clock, code=4000)
    await move_to(clock, end, lambda: False)
    server.close_on_resume = None
    await wake_sleepers(clock, lambda: server.sessions["fake-session-1"].ws is not None)

    assert 4 <= len(server.resumes) <= 11
    assert len(server.identifies) == 1


async def test_each_shard_of_a_process_resumes_its_own_session_after_a_restart(
    running: Running, server: FakeDiscord, tmp_path: Path
) -> None:
    shards = "shard_count = 2\nshard_ids = [0, 1]"
    starting = asyncio.create_task(running.start(shards=shards))
    await wake_sleepers(running.clock, starting.done)  # IDENTIFYs are 5 s apart
    await starting
    members = Members(server, running.clock)
    await running.stop()
    await running.clock.advance(timedelta(seconds=20))
    await members.post()

    app = await running.start(shards=shards)
    logged = await Log(app, tmp_path).messages(await members.post())

    assert [identify["shard"] for identify in server.identifies] == [[0, 2], [1, 2]]
    assert sorted(resume["session_id"] for resume in server.resumes) == [
        "fake-session-1",
        "fake-session-2",
    ]
    assert [message_id for message_id, _ in logged] == members.ids
