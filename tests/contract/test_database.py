"""Engine setup: aware UTC timestamps, transactions, and SQLite's locking rules."""

from __future__ import annotations

import asyncio
import gc
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError, StatementError

from bot.storage import Database, DatabaseUnavailable
from bot.storage.database import sqlite_shortfall
from tests.contract.conftest import T0

pytestmark = pytest.mark.storage

PARIS_SUMMER = timezone(timedelta(hours=2))


async def test_timestamps_are_stored_in_utc_and_read_back_aware(database: Database) -> None:
    local = datetime(2025, 7, 1, 11, 30, tzinfo=PARIS_SUMMER)
    async with database.transaction() as uow:
        await uow.communities.ensure("fake:g", "fake", "g", "G", at=local)
    async with database.read() as uow:
        stored = await uow.communities.get("fake:g")
    assert stored is not None
    assert stored.created_at == local
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.created_at.hour == 9


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.transaction() as uow:
            await uow.communities.ensure("fake:g", "fake", "g", "G", at=datetime(2025, 1, 1))  # noqa: DTZ001


async def test_a_failed_transaction_leaves_nothing_behind(database: Database) -> None:
    async with database.transaction() as uow:
        community = await uow.communities.ensure("fake:g", "fake", "g", "G")
    with pytest.raises(LookupError):
        async with database.transaction() as uow:
            await uow.optouts.add(community, "alice", "dm")
            await uow.ledger.finish("never-claimed", T0, "done")
    async with database.read() as uow:
        assert not await uow.optouts.has(community, "alice", "dm")


async def test_nested_transactions_in_one_task_are_refused(database: Database) -> None:
    async with database.transaction():
        with pytest.raises(RuntimeError, match="nested transaction"):
            async with database.transaction():
                pass


async def test_dialect_names_the_backend(database: Database, database_url: str) -> None:
    assert database.dialect == database_url.split("+", 1)[0]


async def test_unsupported_url_is_refused() -> None:
    with pytest.raises(DatabaseUnavailable, match="unsupported database URL"):
        await Database.connect("mysql+aiomysql://root@127.0.0.1/terreau")


async def test_unreachable_sqlite_file_names_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'terreau.db'}"
    with pytest.raises(DatabaseUnavailable, match="missing does not exist"):
        await Database.connect(url)


def test_a_sqlite_library_lacking_what_terreau_uses_is_named() -> None:
    assert sqlite_shortfall("3.40.1", True) is None
    assert sqlite_shortfall("3.35.0", True) is None
    too_old = sqlite_shortfall("3.31.1", True)
    assert too_old is not None and "SQLite 3.31.1 is too old: Terreau needs 3.35" in too_old
    no_json = sqlite_shortfall("3.37.2", False)
    assert no_json is not None and "without its JSON functions" in no_json


async def test_the_sqlite_library_here_has_what_terreau_uses(tmp_path: Path) -> None:
    database = await Database.connect(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    try:
        async with database.read() as uow:
            run = uow.connection.exec_driver_sql
            version = (await run("SELECT sqlite_version()")).scalar_one()
            assert (await run("SELECT json_valid('[]')")).scalar_one() == 1
    finally:
        await database.close()
    assert sqlite_shortfall(version, True) is None


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    database = await Database.connect(f"sqlite+aiosqlite:///{tmp_path / 't.db'}", busy_timeout=3)
    try:
        async with database.read() as uow:
            pragma = uow.connection.exec_driver_sql
            assert (await pragma("PRAGMA journal_mode")).scalar() == "wal"
            assert (await pragma("PRAGMA foreign_keys")).scalar() == 1
            assert (await pragma("PRAGMA busy_timeout")).scalar() == 3000
            assert (await pragma("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        await database.close()


async def test_sqlite_write_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    first = await Database.connect(url)
    impatient = await Database.connect(url, busy_timeout=0)
    try:
        async with first.transaction():
            # `first` has not written anything yet: a deferred BEGIN would not hold a lock.
            with pytest.raises(OperationalError, match="locked"):
                async with impatient.transaction():
                    pass
            async with impatient.read() as uow:
                assert (await uow.connection.exec_driver_sql("SELECT 1")).scalar() == 1
    finally:
        await impatient.close()
        await first.close()


async def test_in_memory_sqlite_serves_concurrent_units_of_work() -> None:
    from bot.storage import Base

    database = await Database.connect("sqlite+aiosqlite://")
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with database.transaction() as uow:
            community = await uow.communities.ensure("fake:g", "fake", "g", "G")

        async def claim(job: str) -> bool:
            async with database.transaction() as uow:
                return await uow.ledger.claim(job, T0)

        results = await asyncio.gather(claim("a"), claim("a"), claim("b"), claim("b"))
        assert sorted(results) == [False, False, True, True]
        async with database.read() as uow:
            assert await uow.communities.id_of("fake:g") == community
    finally:
        await database.close()


@pytest.mark.parametrize("how", ["transaction", "read"])
async def test_a_unit_of_work_cancelled_mid_statement_releases_its_locks(
    tmp_path: Path, how: str
) -> None:
    # A stopping app cancels tasks wherever they are, often inside a statement. The
    # cancelled task's connection must end its transaction at once: a SQLite
    # connection closed with a statement still open lingers, write lock and all,
    # until the garbage collector finds it, and every later writer waits for it.
    url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    database = await Database.connect(url)
    impatient = await Database.connect(url, busy_timeout=0.5)
    running, finish = threading.Event(), threading.Event()

    def hold() -> int:
        running.set()
        finish.wait(timeout=30)
        return 1

    @event.listens_for(database.engine.sync_engine, "connect")
    def _with_hold(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("hold", 0, hold)

    await database.engine.dispose()

    async def query() -> None:
        async with getattr(database, how)() as uow:
            await uow.connection.exec_driver_sql("SELECT hold()")

    gc.disable()
    try:
        task = asyncio.create_task(query())
        assert await asyncio.to_thread(running.wait, 30)
        task.cancel()
        finish.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with impatient.transaction() as uow:
            await uow.connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    finally:
        finish.set()
        gc.enable()
        await impatient.close()
        await database.close()


async def test_a_repository_of_any_kind_acts_in_the_unit_of_work(database: Database) -> None:
    from bot.storage.games import Games

    async with database.transaction() as uow:
        community_id = await uow.communities.ensure("fake:g", "fake", "g", "G")
        games = uow.repository(Games)
        assert uow.repository(Games) is games
        assert await games.active_round(community_id, "general") is None
