"""The affinity groups repository on every backend: membership, compare-and-set, silence, data."""

from __future__ import annotations

import pytest

from bot.storage import Database
from bot.storage.groups import Group, Groups
from tests.contract.conftest import T0, at, message_row
from tests.contract.test_interactions import ingest

pytestmark = [pytest.mark.groups, pytest.mark.storage]


async def proposal(database: Database, community_id: int, topic: str = "Rust") -> Group:
    async with database.transaction() as uow:
        return await uow.repository(Groups).propose(
            community_id=community_id,
            topic=topic,
            topic_key=topic.casefold(),
            why="to learn",
            proposer_id="ann",
            needed=3,
            channel_id="general",
            deadline_at=at(60),
        )


async def test_joining_twice_counts_once_and_the_proposer_is_the_first_member(
    database: Database, community_id: int
) -> None:
    group = await proposal(database, community_id)
    async with database.transaction() as uow:
        repo = uow.repository(Groups)
        assert await repo.join(group, "bea")
        assert not await repo.join(group, "bea")
        assert not await repo.join(group, "ann")
    async with database.read() as uow:
        repo = uow.repository(Groups)
        assert await repo.members(group.id) == ["ann", "bea"]
        assert await repo.counts([group.id]) == {group.id: 2}
        assert (await repo.live_on(community_id, "rust")) == group
        assert await repo.get(community_id + 1, group.id) is None


async def test_a_group_moves_once_from_each_status(database: Database, community_id: int) -> None:
    group = await proposal(database, community_id)
    async with database.transaction() as uow:
        repo = uow.repository(Groups)
        assert await repo.move(group.id, "proposing", "open", opened_at=at(5))
        assert not await repo.move(group.id, "proposing", "open", opened_at=at(6))
        assert not await repo.move(group.id, "proposing", "expired")
    async with database.read() as uow:
        opened = await uow.repository(Groups).get(community_id, group.id)
    assert opened is not None and (opened.status, opened.opened_at) == ("open", at(5))


async def test_the_last_post_is_a_members_in_the_space_only(
    database: Database, community_id: int
) -> None:
    group = await proposal(database, community_id)
    async with database.transaction() as uow:
        await uow.repository(Groups).set(group.id, space_channel_id="general", space_thread_id="t1")
    await ingest(
        database,
        [
            message_row(community_id, "in", minutes=3, kind="reply", thread="t1"),
            message_row(community_id, "bot", minutes=9, thread="t1", bot=True),
            message_row(community_id, "other", minutes=8, thread="t2"),
            message_row(community_id, "channel", minutes=7),
        ],
    )
    async with database.read() as uow:
        repo = uow.repository(Groups)
        [stored] = await repo.live(community_id)
        assert await repo.last_post(stored) == at(3)
        assert await repo.last_post(group) is None  # no space yet


async def test_shared_interests_without_a_live_group_are_found(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        for member in ("ann", "bea", "cy"):
            await uow.icebreaker.set_interests(community_id, member, ["rust", "go"])
        await uow.icebreaker.set_interests(community_id, "dee", ["go"])
    await proposal(database, community_id, "Go")
    async with database.read() as uow:
        assert await uow.repository(Groups).popular_interests(community_id, 3) == [("rust", 3)]
        assert await uow.repository(Groups).popular_interests(community_id, 4) == []


async def test_erasure_removes_memberships_and_forgets_the_proposer(
    database: Database, community_id: int
) -> None:
    group = await proposal(database, community_id)
    async with database.transaction() as uow:
        await uow.repository(Groups).join(group, "bea")
    async with database.read() as uow:
        repo = uow.repository(Groups)
        assert await repo.memberships(community_id, "ann") == [
            {"group": group.id, "topic": "Rust", "status": "proposing", "joined_at": T0.isoformat()}
        ]
        [proposed] = await repo.proposals(community_id, "ann")
        assert proposed["why"] == "to learn"
    async with database.transaction() as uow:
        repo = uow.repository(Groups)
        assert await repo.erase_memberships(community_id, "ann") == 1
        assert await repo.erase_proposals(community_id, "ann") == 1
    async with database.read() as uow:
        repo = uow.repository(Groups)
        assert await repo.members(group.id) == ["bea"]
        assert await repo.proposals(community_id, "ann") == []
        kept = await repo.get(community_id, group.id)
    assert kept is not None and (kept.proposer_id, kept.why, kept.topic) == ("", "", "Rust")
