"""The boards repository on every backend: numbering, ranking, the voting rules, merges, data."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import Database
from bot.storage.boards import Board, Boards, Vote
from tests.contract.conftest import at, clock_of

pytestmark = [pytest.mark.boards, pytest.mark.storage]


async def board(
    database: Database,
    community_id: int,
    *,
    budget: int | None = None,
    per_item: int = 1,
    status: str = "open",
    kind: str = "live",
) -> Board:
    async with database.transaction() as uow:
        return await uow.repository(Boards).open(
            community_id=community_id,
            kind=kind,
            title="Ask the founders",
            channel_id="general",
            owner_id="host",
            opens_at=at(0),
            closes_at=at(60),
            status=status,
            budget=budget,
            per_item=per_item,
        )


async def items(database: Database, opened: Board, *authors: str) -> None:
    for n, author in enumerate(authors, start=1):
        await clock_of(database).set(at(n))
        async with database.transaction() as uow:
            added = await uow.repository(Boards).add_item(opened, author, f"question {n}")
        assert added is not None and added.number == n


async def test_items_are_numbered_per_board_and_ranked_by_points_then_age(
    database: Database, community_id: int
) -> None:
    first = await board(database, community_id)
    other = await board(database, community_id)
    await items(database, first, "ann", "bob", "cid")
    await items(database, other, "ann")
    async with database.transaction() as uow:
        repo = uow.repository(Boards)
        assert await repo.vote(first, 3, "ann") is Vote.CAST
        assert await repo.vote(first, 3, "bob") is Vote.CAST
        assert await repo.vote(first, 2, "ann") is Vote.CAST
        ranked = await repo.ranked(first.id)
    assert [(i.number, i.points, i.voters) for i in ranked] == [(3, 2, 2), (2, 1, 1), (1, 0, 0)]
    assert ranked[0].text == "question 3" and ranked[0].author_id == "cid"


async def test_the_voting_rules(database: Database, community_id: int) -> None:
    opened = await board(database, community_id)
    await items(database, opened, "ann", "bob")
    async with database.transaction() as uow:
        repo = uow.repository(Boards)
        assert await repo.vote(opened, 1, "ann") is Vote.OWN
        assert await repo.vote(opened, 1, "bob") is Vote.CAST
        assert await repo.vote(opened, 1, "bob") is Vote.UNCHANGED
        assert await repo.vote(opened, 1, "bob", points=2) is Vote.TOO_MANY
        assert await repo.vote(opened, 9, "bob") is Vote.MISSING
        assert await repo.unvote(opened, 1, "bob")
        assert not await repo.unvote(opened, 1, "bob")
        assert await repo.vote(opened, 1, "bob") is Vote.CAST
        item = await repo.item(opened.id, 1)
        assert item is not None and item.points == 1
        assert await repo.mark(item)
        assert not await repo.mark(item)
        assert await repo.vote(opened, 1, "cid") is Vote.CLOSED
        assert await repo.move(opened.id, "open", "closed")
        assert await repo.vote(opened, 2, "cid") is Vote.CLOSED
        assert await repo.add_item(opened, "cid", "late") is None
        assert await repo.counts(opened.id) == {"open": 1, "answered": 1, "merged": 0}
        assert await repo.participants(opened.id) == {"ann", "bob"}


async def test_a_budget_of_dots_spread_over_the_board(
    database: Database, community_id: int
) -> None:
    opened = await board(database, community_id, budget=3, per_item=2, status="collecting")
    await items(database, opened, "ann", "bob", "cid")
    async with database.transaction() as uow:
        repo = uow.repository(Boards)
        assert await repo.vote(opened, 1, "dan") is Vote.CLOSED  # ideas first, then the vote
        assert await repo.move(opened.id, "collecting", "voting")
        assert await repo.add_item(opened, "dan", "late") is None
        assert await repo.vote(opened, 1, "dan", points=2) is Vote.CAST
        assert await repo.vote(opened, 2, "dan", points=2) is Vote.BUDGET
        assert await repo.vote(opened, 2, "dan", points=1) is Vote.CAST
        assert await repo.vote(opened, 3, "dan") is Vote.BUDGET
        assert await repo.vote(opened, 1, "dan", points=1) is Vote.CHANGED
        assert await repo.vote(opened, 3, "dan") is Vote.CAST
        assert await repo.spent(opened.id, "dan") == 3
        assert [i.number for i in await repo.ranked(opened.id)] == [1, 2, 3]


async def test_two_votes_at_once_count_once(database: Database, community_id: int) -> None:
    opened = await board(database, community_id)
    await items(database, opened, "ann")

    async def vote() -> Vote:
        async with database.transaction() as uow:
            return await uow.repository(Boards).vote(opened, 1, "bob")

    outcomes = await asyncio.gather(vote(), vote(), vote())
    assert sorted(outcomes) == sorted([Vote.CAST, Vote.UNCHANGED, Vote.UNCHANGED])
    async with database.read() as uow:
        item = await uow.repository(Boards).item(opened.id, 1)
    assert item is not None and item.points == 1


async def test_votes_at_once_never_exceed_the_budget(database: Database, community_id: int) -> None:
    opened = await board(database, community_id, budget=2, status="voting")
    async with database.transaction() as uow:
        assert await uow.repository(Boards).move(opened.id, "voting", "open")
    await items(database, opened, "ann", "bob", "cid", "dan")
    async with database.transaction() as uow:
        assert await uow.repository(Boards).move(opened.id, "open", "voting")

    async def vote(number: int) -> Vote:
        async with database.transaction() as uow:
            return await uow.repository(Boards).vote(opened, number, "eve")

    outcomes = await asyncio.gather(*(vote(n) for n in (1, 2, 3, 4)))
    assert sorted(outcomes) == sorted([Vote.CAST, Vote.CAST, Vote.BUDGET, Vote.BUDGET])
    async with database.read() as uow:
        assert await uow.repository(Boards).spent(opened.id, "eve") == 2


async def test_a_merge_moves_the_votes_it_can(database: Database, community_id: int) -> None:
    opened = await board(database, community_id)
    await items(database, opened, "ann", "bob")
    async with database.transaction() as uow:
        repo = uow.repository(Boards)
        for voter in ("bob", "cid", "dan"):
            assert (await repo.vote(opened, 1, voter)).counted
        assert await repo.vote(opened, 2, "dan") is Vote.CAST
        duplicate, original = await repo.item(opened.id, 2), await repo.item(opened.id, 1)
        assert duplicate is not None and original is not None
        assert not await repo.merge(original, original)
        assert await repo.merge(original, duplicate)
        assert not await repo.merge(original, duplicate)
        merged = await repo.item(opened.id, 1)
        into = await repo.item(opened.id, 2)
    assert merged is not None and (merged.status, merged.merged_into) == (
        "merged",
        into and into.id,
    )
    # bob wrote #2, dan had voted on it already: only cid's vote moves.
    assert into is not None and (into.points, into.voters) == (2, 2)


async def test_taking_the_next_item_happens_once(database: Database, community_id: int) -> None:
    opened = await board(database, community_id)
    await items(database, opened, "ann")
    async with database.transaction() as uow:
        repo = uow.repository(Boards)
        item = await repo.item(opened.id, 1)
        assert item is not None
        assert await repo.take(item)
        assert not await repo.take(item)


async def test_a_members_items_and_votes_exported_and_erased(
    database: Database, community_id: int
) -> None:
    opened = await board(database, community_id)
    holdup = await board(database, community_id, kind="holdup")
    await items(database, opened, "ann", "bob")
    await items(database, holdup, "ann")
    async with database.transaction() as uow:
        repo = uow.repository(Boards)
        assert await repo.vote(opened, 2, "ann") is Vote.CAST
        assert await repo.vote(opened, 1, "bob") is Vote.CAST
        exported = await repo.member_items(community_id, "ann", "live")
        assert [(r["number"], r["text"], r["kind"]) for r in exported] == [
            (1, "question 1", "live")
        ]
        assert len(await repo.member_items(community_id, "ann")) == 2
        assert [r["item"] for r in await repo.member_votes(community_id, "ann", "live")] == [2]
        assert [r["title"] for r in await repo.owned(community_id, "host", "live")] == [
            "Ask the founders"
        ]
        assert await repo.erase_items(community_id, "ann", "live") == 1
        assert await repo.erase_votes(community_id, "ann", "live") == 1
        assert await repo.erase_owner(community_id, "host", "live") == 1
        assert await repo.member_items(community_id, "ann") != []  # the hold-up idea stays
        assert await repo.member_votes(community_id, "bob") == []  # on ann's erased question
        assert await repo.participants(opened.id) == {"bob"}
        kept = await repo.get(community_id, holdup.id)
    assert kept is not None and kept.owner_id == "host"


async def test_points_of_reads_one_members_points_on_one_item(
    database: Database, community_id: int
) -> None:
    opened = await board(database, community_id, budget=5, per_item=3)
    await items(database, opened, "ann", "bob")
    async with database.transaction() as uow:
        repo = uow.repository(Boards)
        assert await repo.points_of(opened.id, 1, "cid") == 0
        assert await repo.vote(opened, 1, "cid", 2) is Vote.CAST
        assert await repo.vote(opened, 2, "cid", 1) is Vote.CAST
        assert await repo.vote(opened, 1, "bob", 3) is Vote.CAST
        assert await repo.points_of(opened.id, 1, "cid") == 2
        assert await repo.points_of(opened.id, 2, "cid") == 1
        assert await repo.points_of(opened.id, 3, "cid") == 0
