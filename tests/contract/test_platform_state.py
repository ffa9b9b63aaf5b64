"""Gateway sessions and screening holds: what a platform adapter keeps across restarts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.ports import GatewaySession
from bot.storage import Database
from tests.contract.conftest import T0, at, clock_of

pytestmark = pytest.mark.storage


def session(shard: int, sequence: int, *, minutes: float = 0) -> GatewaySession:
    return GatewaySession(
        shard_id=shard,
        shard_count=2,
        session_id=f"session-{shard}",
        sequence=sequence,
        resume_url="wss://gateway-us-east1-b.discord.gg",
        saved_at=at(minutes),
    )


async def test_a_saved_session_replaces_the_one_before(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.gateway_sessions.save("discord", [session(0, 10), session(1, 3)])
    async with database.transaction() as uow:
        await uow.gateway_sessions.save("discord", [session(0, 2**40, minutes=1)])
    async with database.read() as uow:
        saved = await uow.gateway_sessions.all("discord")
        other = await uow.gateway_sessions.all("slack")

    assert saved == [session(0, 2**40, minutes=1), session(1, 3)]
    assert saved[0].saved_at == T0 + timedelta(minutes=1)
    assert other == []


async def test_a_naive_saved_at_is_refused(database: Database) -> None:
    naive = GatewaySession(
        shard_id=0,
        shard_count=1,
        session_id="s",
        sequence=1,
        resume_url="wss://x",
        saved_at=T0.replace(tzinfo=None),
    )
    with pytest.raises(ValueError, match="saved_at"):
        async with database.transaction() as uow:
            await uow.gateway_sessions.save("discord", [naive])


async def test_screening_holds_are_kept_until_released(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    async with database.transaction() as uow:
        other = await uow.communities.ensure("fake:guild-2", "fake", "guild-2", "Guild Two")
    for member in ("alice", "bob", "carol"):
        async with database.transaction() as uow:
            assert await uow.screening.add(community_id, member)
        await clock.advance(timedelta(minutes=1))
    async with database.transaction() as uow:
        assert not await uow.screening.add(community_id, "alice")
        assert await uow.screening.add(other, "dave")
        assert await uow.screening.remove(community_id, ["bob", "nobody"]) == 1
    async with database.read() as uow:
        everyone = await uow.screening.newest([community_id, other], limit=10)
        latest = await uow.screening.newest([community_id, other], limit=2)
        mine = await uow.screening.newest([community_id], limit=10)

    assert everyone == [(community_id, "alice"), (community_id, "carol"), (other, "dave")]
    assert latest == [(community_id, "carol"), (other, "dave")]
    assert mine == [(community_id, "alice"), (community_id, "carol")]
