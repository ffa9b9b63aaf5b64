"""The hold-ups repository on every backend: compare-and-set phases, threads, figures, data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.analytics import Period, Scope
from bot.features.holdup import BOARD_KIND
from bot.features.holdup._metrics import holdup_figures
from bot.storage import Database
from bot.storage.boards import Board, Boards
from bot.storage.holdups import FORMER_REQUESTER, Holdup, Holdups
from tests.contract.conftest import at, clock_of

pytestmark = [pytest.mark.holdup, pytest.mark.storage]


async def submitted(database: Database, community_id: int, requester: str = "ann") -> Holdup:
    async with database.transaction() as uow:
        return await uow.repository(Holdups).submit(
            community_id=community_id,
            requester_id=requester,
            problem="a name for my bakery",
            context="it opens in March",
            wanted="names",
            dots=3,
            hide_authors=True,
            anonymous=False,
            channel_id="general",
        )


async def running(database: Database, community_id: int, requester: str = "ann") -> Board:
    """A hold-up approved, with its board and ideas from bob and cid; return the board."""
    holdup = await submitted(database, community_id, requester)
    async with database.transaction() as uow:
        repo = uow.repository(Holdups)
        assert await repo.move(
            holdup.id,
            "pending",
            "ideas",
            decided_at=at(1),
            voting_opens_at=at(60),
            closes_at=at(90),
        )
        board = await uow.repository(Boards).open(
            community_id=community_id,
            kind=BOARD_KIND,
            title=holdup.problem,
            channel_id="general",
            owner_id=requester,
            opens_at=at(1),
            closes_at=at(90),
            status="collecting",
            budget=3,
            per_item=3,
        )
        await repo.set(holdup.id, board_id=board.id)
        for author in ("bob", "cid"):
            assert await uow.repository(Boards).add_item(board, author, f"idea of {author}")
    return board


async def test_a_hold_up_moves_once_from_each_status(database: Database, community_id: int) -> None:
    holdup = await submitted(database, community_id)
    assert holdup.status == "pending" and holdup.board_id is None
    async with database.transaction() as uow:
        repo = uow.repository(Holdups)
        assert await repo.move(holdup.id, "pending", "ideas", decided_by="mod")
        assert not await repo.move(holdup.id, "pending", "rejected")
        assert await repo.move(holdup.id, "ideas", "voting")
        assert not await repo.move(holdup.id, "ideas", "voting")
    async with database.read() as uow:
        found = await uow.repository(Holdups).get(community_id, holdup.id)
        assert found is not None and (found.status, found.decided_by) == ("voting", "mod")
        assert await uow.repository(Holdups).get(community_id + 1, holdup.id) is None


async def test_a_space_is_found_by_its_thread_or_its_channel(
    database: Database, community_id: int
) -> None:
    in_thread = await submitted(database, community_id)
    own_channel = await submitted(database, community_id)
    async with database.transaction() as uow:
        repo = uow.repository(Holdups)
        await repo.set(in_thread.id, space_channel_id="general", space_thread_id="t1")
        await repo.set(own_channel.id, space_channel_id="holdup-space")
    async with database.read() as uow:
        repo = uow.repository(Holdups)
        found = await repo.in_space(community_id, "general", "t1")
        assert found is not None and found.id == in_thread.id
        typed_in_thread = await repo.in_space(community_id, "t1", None)  # a Discord command
        assert typed_in_thread is not None and typed_in_thread.id == in_thread.id
        found = await repo.in_space(community_id, "holdup-space", None)
        assert found is not None and found.id == own_channel.id
        assert await repo.in_space(community_id, "general", None) is None
        assert await repo.in_space(community_id, "general", "t2") is None


async def test_the_figures_count_hold_ups_handed_over_in_the_period(
    database: Database, community_id: int
) -> None:
    board = await running(database, community_id)
    other = await running(database, community_id)
    async with database.transaction() as uow:
        await uow.repository(Boards).add_item(other, "dan", "another")
        repo = uow.repository(Holdups)
        for holdup_board, when in ((board, at(100)), (other, at(60 * 24 * 40))):
            holdup = await repo.of_board(holdup_board.id)
            assert holdup is not None
            assert await repo.move(holdup.id, "ideas", "done", outcome_at=when)
    period = Period(start=at(0).date(), end=at(0).date() + timedelta(days=1))
    async with database.read() as uow:
        figures = await holdup_figures(uow, Scope(community_id=community_id), period)
        excluding = await holdup_figures(
            uow, Scope(community_id=community_id, exclude=frozenset({"bob"})), period
        )
    assert [(f.key, f.value) for f in figures] == [
        ("holdup.figures.holdups", 1),
        ("holdup.figures.ideas", 2),
        ("holdup.figures.contributors", 2),
    ]
    assert [f.value for f in excluding] == [1, 1, 1]


async def test_no_hold_up_handed_over_shows_no_figure(
    database: Database, community_id: int
) -> None:
    await running(database, community_id)
    period = Period(start=at(0).date(), end=at(0).date() + timedelta(days=1))
    async with database.read() as uow:
        assert await holdup_figures(uow, Scope(community_id=community_id), period) == []


async def test_erasure_forgets_the_requester_and_what_they_wrote_but_the_problem(
    database: Database, community_id: int
) -> None:
    board = await running(database, community_id)
    await clock_of(database).set(at(70))
    async with database.transaction() as uow:
        repo = uow.repository(Holdups)
        holdup = await repo.of_board(board.id)
        assert holdup is not None
        await repo.set_followup(holdup.id, "we chose one", at(70))
        [row] = await repo.requested(community_id, "ann")
        assert (row["context"], row["wanted"], row["followup"]) == (
            "it opens in March",
            "names",
            "we chose one",
        )
        assert await repo.erase_requester(community_id, "ann") == 1
        assert await repo.requested(community_id, "ann") == []
        kept = await repo.get(community_id, holdup.id)
    assert kept is not None
    assert (kept.requester_id, kept.problem, kept.context, kept.followup) == (
        FORMER_REQUESTER,
        "a name for my bakery",
        "",
        None,
    )


async def test_a_departed_communitys_purge_takes_its_hold_ups_and_their_boards(
    database: Database, community_id: int
) -> None:
    board = await running(database, community_id)
    async with database.transaction() as uow:
        deleted = await uow.privacy.delete_community_data(community_id)
        assert deleted["holdups"] == 1 and deleted["boards"] == 1
    async with database.read() as uow:
        assert await uow.repository(Holdups).of_board(board.id) is None


async def test_the_purge_takes_hold_ups_ended_before_the_retention_only(
    database: Database, community_id: int
) -> None:
    done = await running(database, community_id)
    waiting = await submitted(database, community_id)
    declined = await submitted(database, community_id)
    async with database.transaction() as uow:
        repo = uow.repository(Holdups)
        holdup = await repo.of_board(done.id)
        assert holdup is not None
        assert await repo.move(holdup.id, "ideas", "done", outcome_at=at(100))
        assert await repo.move(declined.id, "pending", "rejected", decided_at=at(200))
        assert await repo.purge(community_id, at(150)) == 1
        assert await repo.get(community_id, holdup.id) is None
        assert await repo.purge(community_id, at(250)) == 1
        assert await repo.get(community_id, waiting.id) is not None
