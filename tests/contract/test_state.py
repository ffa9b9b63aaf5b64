"""Opt-outs, ritual state, communities, members and channels."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import Database
from tests.contract.conftest import T0, at

pytestmark = pytest.mark.storage


async def test_optouts_add_has_remove(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        assert await uow.optouts.add(community_id, "alice", "tagging")
        assert not await uow.optouts.add(community_id, "alice", "tagging")
        assert await uow.optouts.add(community_id, "bob", "dm")
    async with database.read() as uow:
        assert await uow.optouts.has(community_id, "alice", "tagging")
        assert not await uow.optouts.has(community_id, "alice", "dm")
        assert await uow.optouts.members(community_id, "tagging") == {"alice"}
    async with database.transaction() as uow:
        assert await uow.optouts.remove(community_id, "alice", "tagging")
        assert not await uow.optouts.remove(community_id, "alice", "tagging")
        assert not await uow.optouts.has(community_id, "alice", "tagging")


async def test_optout_scopes_are_checked(database: Database, community_id: int) -> None:
    with pytest.raises(ValueError, match="opt-out scope"):
        async with database.transaction() as uow:
            await uow.optouts.add(community_id, "alice", "everything")


async def test_optouts_survive_member_erasure(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        await uow.members.upsert_seen(community_id, "alice", "Alice", at=T0)
        await uow.optouts.add(community_id, "alice", "dm")
        await uow.interactions.erase_member(community_id, "alice")
    async with database.read() as uow:
        assert await uow.members.get(community_id, "alice") is None
        assert await uow.optouts.has(community_id, "alice", "dm")


async def test_rituals_pause_and_resume(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        assert await uow.rituals.get(community_id, "monday") is None
        await uow.rituals.set_paused(community_id, "monday", True, "moderator", "mod-1", at(5))
        await uow.rituals.set_paused(community_id, "friday", True, "dead_channel", None, at(6))
    async with database.read() as uow:
        monday = await uow.rituals.get(community_id, "monday")
    assert monday is not None
    assert (monday.paused, monday.paused_reason, monday.paused_by, monday.paused_at) == (
        True,
        "moderator",
        "mod-1",
        at(5),
    )
    async with database.transaction() as uow:
        await uow.rituals.set_paused(community_id, "monday", False, at=at(9))
        states = await uow.rituals.all(community_id)
    assert [(s.name, s.paused, s.paused_reason, s.updated_at) for s in states] == [
        ("friday", True, "dead_channel", at(6)),
        ("monday", False, None, at(9)),
    ]


async def test_a_pause_needs_a_known_reason(database: Database, community_id: int) -> None:
    with pytest.raises(ValueError, match="pause reason"):
        async with database.transaction() as uow:
            await uow.rituals.set_paused(community_id, "monday", True, "bored")


async def test_ensure_community_is_idempotent_and_race_safe(
    database: Database, database_url: str
) -> None:
    other = await Database.connect(database_url)

    async def ensure(db: Database, name: str) -> int:
        async with db.transaction() as uow:
            return await uow.communities.ensure("slack:T1", "slack", "T1", name)

    try:
        ids = await asyncio.gather(*(ensure(db, "Acme") for db in (database, other) * 3))
    finally:
        await other.close()
    assert len(set(ids)) == 1
    async with database.transaction() as uow:
        await uow.communities.mark_left(ids[0], at=at(1))
        await uow.communities.mark_left(ids[0], at=at(2))  # the first removal counts
        assert await uow.communities.ensure("slack:T1", "slack", "T1", "Acme Inc") == ids[0]
        [stored] = await uow.communities.all()
        assert await uow.communities.ids() == {"slack:T1": ids[0]}
    assert (stored.name, stored.left_at, stored.platform_id) == ("Acme Inc", at(1), "T1")
    async with database.transaction() as uow:
        await uow.communities.mark_back(ids[0])
        [stored] = await uow.communities.all()
    assert stored.left_at is None


async def test_members_keep_the_widest_seen_window(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        await uow.members.upsert_seen(community_id, "alice", "Alice", at=at(10))
        await uow.members.upsert_seen(community_id, "alice", "Alice B", at=at(20), joined_at=T0)
        await uow.members.upsert_seen(community_id, "alice", "Alice C", at=at(5))
        await uow.members.upsert_seen(community_id, "robot", "Robot", is_bot=True, at=at(1))
        await uow.members.upsert_seen(community_id, "bob", "Bob", at=at(1))
        await uow.members.mark_left(community_id, "bob", at(2))
    async with database.read() as uow:
        alice = await uow.members.get(community_id, "alice")
        present = await uow.members.present(community_id)
    assert alice is not None
    assert (alice.first_seen_at, alice.last_seen_at, alice.joined_at) == (at(5), at(20), T0)
    assert [member.member_id for member in present] == ["alice"]


async def test_channels_keep_name_and_purpose(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        await uow.channels.upsert(community_id, "c1", name="general")
        await uow.channels.upsert(community_id, "c1", purpose="icebreakers")
        await uow.channels.upsert(community_id, "c2", name="random")
        await uow.channels.upsert(community_id, "c2")
        icebreakers = await uow.channels.with_purpose(community_id, "icebreakers")
        random = await uow.channels.get(community_id, "c2")
    assert [(c.channel_id, c.name, c.purpose) for c in icebreakers] == [
        ("c1", "general", "icebreakers")
    ]
    assert random is not None
    assert random.name == "random"
