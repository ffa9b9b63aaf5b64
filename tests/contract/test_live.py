"""The live sessions repository on every backend: hosts, interest, reminders, figures, data."""

from __future__ import annotations

import pytest

from bot.storage import Database
from bot.storage.boards import Board, Boards
from bot.storage.live import KIND, LiveSessions
from tests.contract.conftest import at, clock_of, message_row
from tests.contract.test_interactions import ingest

pytestmark = [pytest.mark.live, pytest.mark.storage]


async def session(database: Database, community_id: int, opens: float = 60) -> Board:
    async with database.transaction() as uow:
        board = await uow.repository(Boards).open(
            community_id=community_id,
            kind=KIND,
            title="Ask the founders",
            channel_id="general",
            owner_id="host",
            opens_at=at(opens),
            closes_at=at(opens + 30),
        )
        await uow.repository(LiveSessions).add(board.id, community_id, ["host", "cohost"], "weekly")
        return board


async def test_hosts_interest_and_one_reminder(database: Database, community_id: int) -> None:
    board = await session(database, community_id)
    async with database.transaction() as uow:
        repo = uow.repository(LiveSessions)
        assert await repo.interested(board.id, community_id, "ann")
        assert not await repo.interested(board.id, community_id, "ann")
        assert not await repo.interested(board.id, community_id, "host")
        assert await repo.claim_reminder(board.id)
        assert not await repo.claim_reminder(board.id)
        assert await repo.of_schedule(community_id, "weekly", at(60))
        assert not await repo.of_schedule(community_id, "weekly", at(61))
        found = await repo.get(board.id)
    assert found is not None and set(found.hosts) == {"host", "cohost"}
    async with database.read() as uow:
        assert await uow.repository(LiveSessions).attendees(board.id, "interested") == ["ann"]


async def test_an_interested_member_or_a_newcomer_becomes_a_host_once(
    database: Database, community_id: int
) -> None:
    board = await session(database, community_id)
    async with database.transaction() as uow:
        repo = uow.repository(LiveSessions)
        assert await repo.interested(board.id, community_id, "ann")
        assert await repo.add_host(board.id, community_id, "ann")
        assert await repo.add_host(board.id, community_id, "bea")
        assert not await repo.add_host(board.id, community_id, "bea")
        assert not await repo.add_host(board.id, community_id, "host")
        assert await repo.attendees(board.id, "interested") == []
        hosts = await repo.attendees(board.id, "host")
        listed = await repo.attendance(community_id, "ann")
    assert sorted(hosts) == ["ann", "bea", "cohost", "host"]
    assert [row["role"] for row in listed] == ["host"]


async def test_figures_count_sessions_participants_and_first_timers(
    database: Database, community_id: int
) -> None:
    await ingest(database, [message_row(community_id, "e1", minutes=10, member="old")])
    board = await session(database, community_id)
    never = await session(database, community_id, opens=300)  # still to come
    async with database.transaction() as uow:
        boards = uow.repository(Boards)
        assert await boards.move(board.id, "scheduled", "open")
        for author in ("old", "new"):
            assert await boards.add_item(board, author, f"from {author}") is not None
        assert (await boards.vote(board, 1, "voter")).counted
        assert await boards.move(board.id, "open", "closed")
    async with database.read() as uow:
        found = await uow.repository(LiveSessions).figures(community_id, at(0), at(24 * 60))
        none = await uow.repository(LiveSessions).figures(community_id, at(100), at(24 * 60))
    assert (found.sessions, found.participants, found.first_timers) == (1, 3, 2)
    assert (none.sessions, none.participants) == (0, 0)
    assert never.status == "scheduled"


async def test_attendance_exported_erased_and_old_sessions_purged(
    database: Database, community_id: int
) -> None:
    board = await session(database, community_id)
    async with database.transaction() as uow:
        repo = uow.repository(LiveSessions)
        assert await repo.interested(board.id, community_id, "ann")
        assert [r["role"] for r in await repo.attendance(community_id, "ann")] == ["interested"]
        assert await repo.erase_attendance(community_id, "ann") == 1
        assert await repo.attendance(community_id, "ann") == []
        assert await uow.repository(Boards).move(board.id, "scheduled", "cancelled")
    await clock_of(database).set(at(24 * 60))
    async with database.transaction() as uow:
        boards = uow.repository(Boards)
        assert await boards.purge(community_id, KIND, at(0)) == 0
        assert await boards.purge(community_id, KIND, at(24 * 60)) == 1
        assert await uow.repository(LiveSessions).get(board.id) is None


async def test_the_report_figures_of_live_sessions(database: Database, community_id: int) -> None:
    from datetime import date

    from bot.analytics import Period, Scope
    from bot.features.live._metrics import live_figures

    board = await session(database, community_id)
    async with database.transaction() as uow:
        boards = uow.repository(Boards)
        assert await boards.move(board.id, "scheduled", "open")
        assert await boards.add_item(board, "new", "first words") is not None
        assert await boards.move(board.id, "open", "closed")
    day = at(0).date()
    async with database.read() as uow:
        figures = await live_figures(
            uow,
            Scope(community_id=community_id),
            Period(start=day, end=date.fromordinal(day.toordinal() + 2)),
        )
    assert [(f.key, f.value) for f in figures] == [
        ("live.figures.sessions", 1),
        ("live.figures.participants", 1),
        ("live.figures.first_timers", 1.0),
    ]
