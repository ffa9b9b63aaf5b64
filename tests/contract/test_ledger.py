"""The run ledger: a (job, scheduled time) is claimed once, ever."""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone

import pytest

from bot.storage import Database
from tests.contract.conftest import T0, at

pytestmark = [pytest.mark.scheduling, pytest.mark.storage]


async def claim(database: Database, job: str, minutes: float = 0) -> bool:
    async with database.transaction() as uow:
        return await uow.ledger.claim(job, at(minutes))


async def test_a_run_is_claimed_once(database: Database) -> None:
    assert await claim(database, "posts:g:monday")
    assert not await claim(database, "posts:g:monday")
    assert await claim(database, "posts:g:monday", minutes=7 * 24 * 60)
    assert await claim(database, "posts:g:friday")


async def test_the_same_instant_in_another_zone_is_the_same_run(database: Database) -> None:
    assert await claim(database, "job")
    tokyo = T0.astimezone(timezone(timedelta(hours=9)))
    async with database.transaction() as uow:
        assert not await uow.ledger.claim("job", tokyo)


async def test_concurrent_claimers_from_two_processes_get_one_win(
    database: Database, database_url: str
) -> None:
    other = await Database.connect(database_url)
    try:
        jobs = [f"job-{n}" for n in range(8)]
        results = await asyncio.gather(
            *(claim(db, job) for job in jobs for db in (database, other, database, other))
        )
    finally:
        await other.close()
    for index in range(len(jobs)):
        assert sorted(results[index * 4 : index * 4 + 4]) == [False, False, False, True]


async def test_finish_records_the_outcome(database: Database) -> None:
    await claim(database, "job")
    async with database.transaction() as uow:
        await uow.ledger.finish("job", T0, "done", "posted m1", at=at(1))
    async with database.read() as uow:
        entry = await uow.ledger.get("job", T0)
    assert entry is not None
    assert (entry.status, entry.detail, entry.claimed_at, entry.finished_at) == (
        "done",
        "posted m1",
        T0,
        at(1),
    )


async def test_finishing_an_unclaimed_run_is_an_error(database: Database) -> None:
    with pytest.raises(LookupError, match="never claimed"):
        async with database.transaction() as uow:
            await uow.ledger.finish("job", T0, "done")


async def test_finish_accepts_only_final_statuses(database: Database) -> None:
    await claim(database, "job")
    with pytest.raises(ValueError, match="finishes as one of"):
        async with database.transaction() as uow:
            await uow.ledger.finish("job", T0, "claimed")


async def test_last_run_is_the_latest_claimed_time(database: Database) -> None:
    async with database.read() as uow:
        assert await uow.ledger.last_run("job") is None
    for minutes in (60, 0, 30):
        await claim(database, "job", minutes)
    await claim(database, "other", 500)
    async with database.read() as uow:
        assert await uow.ledger.last_run("job") == at(60)
