"""Content rotation: no repeats within a cycle, across restarts and pool edits."""

from __future__ import annotations

import pytest

from bot.storage import Database
from tests.contract.conftest import at

pytestmark = [pytest.mark.posts, pytest.mark.storage]

POOL = [f"q{n:02d}" for n in range(12)]


async def pick(database: Database, community: int, items: list[str], seed: str = "s") -> str:
    async with database.transaction() as uow:
        return await uow.rotation.pick(community, "icebreakers", items, seed, at(0))


async def test_every_item_once_per_cycle(database: Database, community_id: int) -> None:
    first = [await pick(database, community_id, POOL) for _ in POOL]
    second = [await pick(database, community_id, POOL) for _ in POOL]
    assert sorted(first) == POOL
    assert sorted(second) == POOL
    assert first != second  # each cycle reshuffles


async def test_order_is_deterministic_for_a_seed(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        other = await uow.communities.ensure("fake:guild-2", "fake", "guild-2", "Two")
    ours = [await pick(database, community_id, POOL) for _ in range(5)]
    theirs = [await pick(database, other, POOL) for _ in range(5)]
    reseeded = [await pick(database, other, POOL, seed="other") for _ in range(5)]
    assert ours == theirs
    assert reseeded != ours[:5]


async def test_no_repeats_across_a_reconnect(
    database: Database, database_url: str, community_id: int
) -> None:
    before = [await pick(database, community_id, POOL) for _ in range(5)]
    await database.close()
    reopened = await Database.connect(database_url)
    try:
        after = [await pick(reopened, community_id, POOL) for _ in range(len(POOL) - 5)]
    finally:
        await reopened.close()
    assert sorted(before + after) == POOL


async def test_removed_items_are_ignored_and_new_items_join_the_cycle(
    database: Database, community_id: int
) -> None:
    used = [await pick(database, community_id, POOL) for _ in range(4)]
    unused = [item for item in POOL if item not in used]
    edited = [item for item in POOL if item != unused[0]] + ["new-1", "new-2"]
    rest = [await pick(database, community_id, edited) for _ in range(len(edited) - len(used))]
    assert sorted(rest) == sorted(set(edited) - set(used))
    next_cycle = await pick(database, community_id, edited)
    assert next_cycle in edited


async def test_peek_shows_the_next_pick_without_using_it(
    database: Database, community_id: int
) -> None:
    async with database.read() as uow:
        preview = await uow.rotation.peek(community_id, "icebreakers", POOL, "s")
    assert await pick(database, community_id, POOL) == preview
    assert await pick(database, community_id, POOL) != preview


async def test_an_empty_pool_is_an_error(database: Database, community_id: int) -> None:
    with pytest.raises(ValueError, match="no items"):
        await pick(database, community_id, [])


async def test_rested_items_wait_until_the_pool_has_no_other(
    database: Database, community_id: int
) -> None:
    async def pick_resting(items: list[str], rest: set[str]) -> str:
        async with database.transaction() as uow:
            return await uow.rotation.pick(community_id, "discussion", items, "s", at(0), rest)

    async with database.read() as uow:
        plain = await uow.rotation.peek(community_id, "discussion", POOL, "s")
    rest = {plain, next(item for item in POOL if item != plain)}
    cycle = [await pick_resting(POOL, rest) for _ in range(len(POOL) - 2)]
    # A cycle of the others, then the next cycle at once: the rested are never posted.
    assert sorted(cycle) == sorted(set(POOL) - rest)
    assert await pick_resting(POOL, rest) not in rest
    # A pool with nothing but rested items goes round them all the same.
    assert await pick_resting(sorted(rest), rest) in rest
