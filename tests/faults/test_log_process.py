"""The interaction log's own SQLite process: killed, signalled, orphaned, cut short.

On a SQLite file the writer's batches run in a child process. These tests find that
child as the operating system sees it (a child of this process running
`_sqlite_child.py`) and act on it by its PID.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.domain import Community
from bot.storage import CommunityDirectory, Database, InteractionWriter, upgrade
from bot.storage._sqlite_batch import COMMIT, Request, Steps, Written
from bot.storage._sqlite_process import SqliteProcess, _Child
from tests.contract.conftest import T0, message_row
from tests.fakes import ManualClock

pytestmark = pytest.mark.storage

CHILD = "_sqlite_child.py"
ROOT = Path(__file__).resolve().parents[2]


def log_children(parent: int) -> list[int]:
    """Return the PIDs of `parent`'s children that run the log's SQLite process."""
    found = []
    for task in Path(f"/proc/{parent}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if any(part.endswith(CHILD.encode()) for part in command):
                found.append(int(pid))
    return found


def exited_within(pid: int, seconds: float) -> bool:
    """Wait for a process that is not ours to exit (its pidfd turns readable)."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([handle], [], [], seconds)
        return bool(ready)
    finally:
        os.close(handle)


class NoSleep:
    """The writer's `sleep`: back-offs pass at once, and are counted."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    database = await Database.connect(url, clock=ManualClock(T0))
    yield database
    await database.close()


async def community(database: Database) -> int:
    return await CommunityDirectory(database).ensure(
        Community(platform="console", id="demo", name="Demo")
    )


async def stored(database: Database) -> list[tuple[str, int]]:
    async with database.read() as uow:
        result = await uow.connection.exec_driver_sql(
            "SELECT event_id, count(*) FROM interactions GROUP BY event_id ORDER BY event_id"
        )
        return [(event, count) for event, count in result]


async def test_the_writer_starts_its_process_and_ends_it_on_stop(database: Database) -> None:
    writer = InteractionWriter(database, batch_size=10)
    await writer.start()
    await writer.flush()  # the process is started with the writer, not at the first batch
    children = log_children(os.getpid())
    assert len(children) == 1
    await writer.submit(message_row(await community(database), "e1"))
    await writer.stop()
    assert exited_within(children[0], 0)
    assert log_children(os.getpid()) == []
    assert await stored(database) == [("e1", 1)]


async def test_a_killed_process_is_replaced_and_nothing_is_lost(database: Database) -> None:
    community_id = await community(database)
    writer = InteractionWriter(database, batch_size=5, sleep=NoSleep())
    await writer.start()
    try:
        for n in range(5):
            await writer.submit(message_row(community_id, f"a{n}"))
        await writer.flush()
        (first,) = log_children(os.getpid())
        os.kill(first, signal.SIGKILL)
        assert exited_within(first, 10)
        for n in range(5):
            await writer.submit(message_row(community_id, f"b{n}"))
        await asyncio.wait_for(writer.flush(), timeout=30)
        (second,) = log_children(os.getpid())
    finally:
        await writer.stop()
    assert second != first
    assert await stored(database) == [(f"a{n}", 1) for n in range(5)] + [
        (f"b{n}", 1) for n in range(5)
    ]
    async with database.read() as uow:
        counts = await uow.connection.exec_driver_sql("SELECT sum(messages) FROM activity_daily")
        assert counts.scalar() == 10


def killed_between(pid: list[int], *event_ids: str) -> Steps:
    """`inserts`, with the process killed after the first list's answer."""
    yield [insert_of(list(event_ids))]
    os.kill(pid[0], signal.SIGKILL)
    assert exited_within(pid[0], 10)
    yield [("fetch", "SELECT count(*) FROM t", ()), COMMIT]
    raise AssertionError("a dead process answered")


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_signals_to_the_process_group_leave_the_process_writing(
    database: Database, number: int
) -> None:
    """Ctrl-C or a service manager signals every process of the group; the parent still
    writes its last batch on the way out, so the child must outlive the signal."""
    community_id = await community(database)
    writer = InteractionWriter(database, batch_size=100)
    await writer.start()
    await writer.flush()
    (child,) = log_children(os.getpid())
    os.kill(child, number)
    assert not exited_within(child, 0.2)
    await writer.submit(message_row(community_id, "last"))
    await writer.stop()
    assert exited_within(child, 0)
    assert await stored(database) == [("last", 1)]


def test_the_process_exits_when_its_parent_dies(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    asyncio.run(upgrade(url))
    script = f"""
import asyncio
from bot.clock import SystemClock
from bot.storage import Database, InteractionWriter

async def main():
    database = await Database.connect({url!r}, clock=SystemClock())
    await InteractionWriter(database).start()
    print("started", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=ROOT
    ) as parent:
        try:
            assert parent.stdout is not None
            assert parent.stdout.readline() == b"started\n"
            (child,) = log_children(parent.pid)
        finally:
            parent.kill()
            parent.wait()
    assert exited_within(child, 10)


def plain_database(tmp_path: Path) -> Path:
    """A SQLite file with one table of (community, unique event id)."""
    path = tmp_path / "plain.db"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE t (community TEXT, event_id TEXT UNIQUE)")
    return path


def insert_of(event_ids: list[str]) -> Request:
    values = [v for event_id in event_ids for v in ("demo", event_id)]
    rows = ", ".join(["(?, ?)"] * len(event_ids))
    return ("execute", f"INSERT INTO t (community, event_id) VALUES {rows}", values)


def inserts(*event_ids: str) -> Steps:
    """`store`'s shape: statements out, results in; the second list ends the transaction."""
    results = yield [insert_of(list(event_ids))]
    yield [("fetch", "SELECT count(*) FROM t", ()), COMMIT]
    written: Written = ([], [{"inserted": results[0][0]}])
    return written


async def test_a_refused_statement_rolls_back_and_the_process_goes_on(tmp_path: Path) -> None:
    path = plain_database(tmp_path)
    process = SqliteProcess(str(path), busy_timeout=1.0)
    started: list[str] = []
    try:
        await process.open()
        (child,) = log_children(os.getpid())
        assert await process.run(inserts("a", "b"), lambda: started.append("go")) == (
            [],
            [{"inserted": 2}],
        )
        with pytest.raises(IntegrityError, match="UNIQUE"):
            await process.run(inserts("c", "a"), lambda: None)
        # the process dies in the middle of a batch: the batch fails, nothing of it stays
        with pytest.raises(DBAPIError, match=r"the SQLite writer process exited \(status -9\)"):
            await process.run(killed_between([child], "d"), lambda: None)
        await process.run(inserts("e"), lambda: None)
        assert log_children(os.getpid()) not in ([], [child])
    finally:
        await process.close()
    assert started == ["go"]
    with closing(sqlite3.connect(path)) as connection:
        (stored_ids,) = connection.execute("SELECT group_concat(event_id) FROM t").fetchone()
    assert stored_ids == "a,b,e"


def chunked_inserts(first: int, chunks: int, rows: int) -> Steps:
    """Inserts of `chunks` statements of `rows` rows each: more values than one message holds."""
    results = yield [
        insert_of([str(first + chunk * rows + n) for n in range(rows)]) for chunk in range(chunks)
    ]
    yield [COMMIT]
    written: Written = ([], [{"inserted": sum(count for count, _ in results)}])
    return written


async def test_a_batch_of_many_messages_is_one_transaction(tmp_path: Path) -> None:
    path = plain_database(tmp_path)
    process = SqliteProcess(str(path), busy_timeout=1.0)
    try:
        assert await process.run(chunked_inserts(0, 3, 5000), lambda: None) == (
            [],
            [{"inserted": 15000}],
        )
        with pytest.raises(IntegrityError):  # its third message repeats ids 0 to 4,999
            await process.run(chunked_inserts(-10000, 3, 5000), lambda: None)
    finally:
        await process.close()
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT count(*), min(event_id + 0) FROM t").fetchone() == (
            15000,
            0,
        )


def test_after_a_failure_the_process_runs_nothing_until_the_rollback(tmp_path: Path) -> None:
    """Messages are sent before their answers are read: once a statement failed (here,
    a transaction that could not begin), the statements already sent behind it must not
    run outside the batch's transaction; the rollback ends that."""
    path = plain_database(tmp_path)
    child = _Child.start(str(path), 1.0)
    insert: Request = ("execute", "INSERT INTO t VALUES ('demo', 'x')", ())
    try:
        child.exchange([("run", "BEGIN", ())])
        with pytest.raises(DBAPIError, match="within a transaction"):
            child.exchange([("run", "BEGIN IMMEDIATE", ())])
        with pytest.raises(DBAPIError, match="skipped after a failure"):
            child.exchange([insert])
        assert child.exchange([("rollback", "ROLLBACK", ()), insert]) == [None, (1, 1)]
    finally:
        child.close()


async def test_an_unwritable_database_names_itself_and_retries(tmp_path: Path) -> None:
    process = SqliteProcess(str(tmp_path / "missing" / "terreau.db"), busy_timeout=1.0)
    with pytest.raises(DBAPIError, match="unable to open database file"):
        await process.run(inserts("a"), lambda: None)
    await process.close()
