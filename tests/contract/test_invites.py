"""The co-optation repository on every backend: links, use counts taken once, one co-opter."""

from __future__ import annotations

import pytest

from bot.storage import Database
from bot.storage.invites import Invites
from tests.contract.conftest import T0

pytestmark = [pytest.mark.invites, pytest.mark.storage]


async def test_a_rise_in_use_counts_is_taken_once(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        repo = uow.repository(Invites)
        await repo.add_link(community_id, "ann", "https://x/a", 0)
        await repo.add_link(community_id, "ann", "https://x/a", 0)
        await repo.add_link(community_id, "bea", "https://x/b", 2)
        assert await repo.link_of(community_id, "ann") == "https://x/a"
        assert await repo.link_of(community_id, "cy") is None
    seen = {"https://x/a": 1, "https://x/b": 2, "https://x/other": 9}
    async with database.transaction() as uow:
        assert await uow.repository(Invites).take_uses(community_id, seen) == {"https://x/a": "ann"}
    async with database.transaction() as uow:
        assert await uow.repository(Invites).take_uses(community_id, seen) == {}


async def test_a_newcomer_has_one_co_opter(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        repo = uow.repository(Invites)
        assert await repo.coopt(community_id, "nina", "ann", "link")
        assert not await repo.coopt(community_id, "nina", "bea", "declared")
    async with database.read() as uow:
        found = await uow.repository(Invites).cooptation(community_id, "nina")
    assert found is not None
    assert (found.by_member_id, found.way, found.at) == ("ann", "link", T0)
