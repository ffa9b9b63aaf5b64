"""Handled deliveries: a command or click is claimed once, taken over only when abandoned."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.storage import Database
from bot.storage._deliveries import LEASE
from tests.contract.conftest import T0, at

pytestmark = [pytest.mark.delivery, pytest.mark.storage]


async def claim(database: Database, community_id: int, event_id: str, minutes: float = 0) -> bool:
    async with database.transaction() as uow:
        return await uow.deliveries.claim(community_id, event_id, at=at(minutes))


async def finish(database: Database, community_id: int, event_id: str, minutes: float = 0) -> None:
    async with database.transaction() as uow:
        await uow.deliveries.finish(community_id, event_id, at=at(minutes))


async def test_a_delivery_is_claimed_once_per_community(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        other = await uow.communities.ensure("fake:guild-2", "fake", "guild-2", "Guild Two")
    assert await claim(database, community_id, "cmd-1")
    assert not await claim(database, community_id, "cmd-1")
    assert await claim(database, other, "cmd-1")
    assert await claim(database, community_id, "cmd-2")


async def test_a_finished_delivery_is_never_claimed_again(
    database: Database, community_id: int
) -> None:
    assert await claim(database, community_id, "cmd-1")
    await finish(database, community_id, "cmd-1", minutes=1)
    lease = LEASE.total_seconds() / 60
    assert not await claim(database, community_id, "cmd-1", minutes=lease * 10)


async def test_an_unfinished_claim_is_taken_over_once_its_lease_is_over(
    database: Database, community_id: int
) -> None:
    lease = LEASE.total_seconds() / 60
    assert await claim(database, community_id, "cmd-1")
    assert not await claim(database, community_id, "cmd-1", minutes=lease - 1)
    assert await claim(database, community_id, "cmd-1", minutes=lease)
    # The takeover is a fresh claim, with a lease of its own.
    assert not await claim(database, community_id, "cmd-1", minutes=lease + 1)


async def test_two_processes_claiming_at_once_get_one_win(
    database: Database, database_url: str, community_id: int
) -> None:
    other = await Database.connect(database_url)
    try:
        events = [f"cmd-{n}" for n in range(8)]
        results = await asyncio.gather(
            *(
                claim(db, community_id, event)
                for event in events
                for db in (database, other, database, other)
            )
        )
    finally:
        await other.close()
    for index in range(len(events)):
        assert sorted(results[index * 4 : index * 4 + 4]) == [False, False, False, True]


async def test_two_processes_taking_over_an_abandoned_claim_get_one_win(
    database: Database, database_url: str, community_id: int
) -> None:
    assert await claim(database, community_id, "cmd-1")
    late = LEASE.total_seconds() / 60 + 1
    other = await Database.connect(database_url)
    try:
        results = await asyncio.gather(
            *(claim(db, community_id, "cmd-1", minutes=late) for db in (database, other) * 2)
        )
    finally:
        await other.close()
    assert sorted(results) == [False, False, False, True]


async def test_the_purge_forgets_claims_older_than_its_cutoff(
    database: Database, community_id: int
) -> None:
    for minutes in (0, 60, 24 * 60):
        assert await claim(database, community_id, f"cmd-{minutes}", minutes=minutes)
        await finish(database, community_id, f"cmd-{minutes}", minutes=minutes)
    async with database.transaction() as uow:
        assert await uow.deliveries.purge(community_id, T0 + timedelta(hours=2)) == 2
    assert await claim(database, community_id, "cmd-0", minutes=25 * 60)
    assert not await claim(database, community_id, f"cmd-{24 * 60}", minutes=25 * 60)
