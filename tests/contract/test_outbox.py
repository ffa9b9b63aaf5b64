"""The outbox: pending, sent or failed, with the nonce that makes resends safe."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.storage import Database
from tests.contract.conftest import T0, at, clock_of

pytestmark = [pytest.mark.delivery, pytest.mark.storage]

PAYLOAD = {"post": {"text": "Bonjour \ue0000\ue001", "mentions": [["u1", "Ana"]]}, "thread": "Q"}


async def add(
    database: Database,
    community: int,
    nonce: str,
    job_id: str | None = None,
    scheduled_for: datetime | None = None,
) -> int:
    async with database.transaction() as uow:
        return await uow.outbox.add(
            community, nonce, "general", None, PAYLOAD, job_id=job_id, scheduled_for=scheduled_for
        )


async def test_lifecycle_pending_then_sent(database: Database, community_id: int) -> None:
    outbox_id = await add(database, community_id, "n1", job_id="posts:g:monday", scheduled_for=T0)
    async with database.read() as uow:
        [pending] = await uow.outbox.pending(10)
    assert pending.id == outbox_id
    assert pending.payload == PAYLOAD
    assert (pending.status, pending.attempts, pending.community_key) == (
        "pending",
        0,
        "fake:guild-1",
    )
    assert (pending.created_at, pending.scheduled_for) == (T0, T0)

    async with database.transaction() as uow:
        await uow.outbox.mark_sent(outbox_id, "m42", "t42", at=at(1))
    async with database.read() as uow:
        assert await uow.outbox.pending(10) == []
        sent = await uow.outbox.get(outbox_id)
    assert sent is not None
    assert (sent.status, sent.message_id, sent.sent_thread_id, sent.sent_at, sent.attempts) == (
        "sent",
        "m42",
        "t42",
        at(1),
        1,
    )


async def test_adding_a_known_nonce_returns_the_same_row(
    database: Database, community_id: int
) -> None:
    first = await add(database, community_id, "n1")
    assert await add(database, community_id, "n1") == first
    async with database.read() as uow:
        assert len(await uow.outbox.pending(10)) == 1
        found = await uow.outbox.by_nonce("n1")
    assert found is not None
    assert found.id == first


async def test_failures_retry_or_give_up(database: Database, community_id: int) -> None:
    retried = await add(database, community_id, "n1")
    failed = await add(database, community_id, "n2")
    async with database.transaction() as uow:
        await uow.outbox.mark_failed(retried, "rate limited", retry=True)
        await uow.outbox.mark_failed(failed, "forbidden: " + "x" * 5000)
    async with database.read() as uow:
        [pending] = await uow.outbox.pending(10)
        gave_up = await uow.outbox.get(failed)
    assert (pending.id, pending.attempts, pending.last_error) == (retried, 1, "rate limited")
    assert gave_up is not None
    assert gave_up.status == "failed"
    assert gave_up.last_error is not None
    assert len(gave_up.last_error) == 2000


async def test_pending_is_oldest_first_and_limited(database: Database, community_id: int) -> None:
    ids = [await add(database, community_id, f"n{n}") for n in range(5)]
    async with database.read() as uow:
        assert [entry.id for entry in await uow.outbox.pending(3)] == ids[:3]


async def test_recent_for_job_lists_sent_messages_newest_first(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    sent = []
    for week in range(4):
        outbox_id = await add(database, community_id, f"w{week}", job_id="posts:g:monday")
        async with database.transaction() as uow:
            await uow.outbox.mark_sent(outbox_id, f"m{week}")
        sent.append(outbox_id)
        await clock.advance(timedelta(days=7))
    await add(database, community_id, "unsent", job_id="posts:g:monday")
    await add(database, community_id, "elsewhere", job_id="posts:g:friday")
    async with database.read() as uow:
        recent = await uow.outbox.recent_for_job("posts:g:monday", 3)
    assert [entry.message_id for entry in recent] == ["m3", "m2", "m1"]
    assert recent[0].sent_at == T0 + timedelta(days=21)


async def test_marking_a_missing_row_is_an_error(database: Database) -> None:
    with pytest.raises(LookupError, match="no outbox row"):
        async with database.transaction() as uow:
            await uow.outbox.mark_sent(999, "m1")


async def test_a_lease_records_the_first_attempt_and_is_renewed_only_by_its_owner(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    outbox_id = await add(database, community_id, "n1")
    async with database.transaction() as uow:
        row = await uow.outbox.get(outbox_id, lock=True)
        assert row is not None and row.attempted_at is None and row.lease_owner is None
        await uow.outbox.take_lease(outbox_id, "a", at(1))
    await clock.advance(timedelta(minutes=5))
    async with database.transaction() as uow:
        await uow.outbox.take_lease(outbox_id, "b", at(6))  # a later attempt, by another
        assert await uow.outbox.renew_lease(outbox_id, "a", at(7)) is False
        assert await uow.outbox.renew_lease(outbox_id, "b", at(8)) is True
    async with database.read() as uow:
        leased = await uow.outbox.get(outbox_id)
    assert leased is not None
    # The first attempt is kept: an uncertain send is looked up from there.
    assert (leased.attempted_at, leased.lease_owner, leased.lease_until) == (T0, "b", at(8))

    async with database.transaction() as uow:
        await uow.outbox.mark_sent(outbox_id, "m1")
        assert await uow.outbox.renew_lease(outbox_id, "b", at(9)) is False
    async with database.read() as uow:
        sent = await uow.outbox.get(outbox_id)
    assert sent is not None
    assert (sent.status, sent.lease_owner, sent.lease_until, sent.attempted_at) == (
        "sent",
        None,
        None,
        T0,
    )


async def test_stranded_rows_are_those_whose_lease_lapsed_or_that_nobody_leased(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    lapsed = await add(database, community_id, "lapsed")
    running = await add(database, community_id, "running")
    never = await add(database, community_id, "never leased")
    await clock.advance(timedelta(minutes=2))
    fresh = await add(database, community_id, "fresh")
    async with database.transaction() as uow:
        await uow.outbox.take_lease(lapsed, "a", at(1))
        await uow.outbox.take_lease(running, "b", at(10))
    async with database.read() as uow:
        stranded = await uow.outbox.stranded(older_than=at(1))
    # `fresh` was queued a moment ago: its process is about to send it.
    assert [row.id for row in stranded] == [lapsed, never]
    assert fresh not in {row.id for row in stranded} and running not in {r.id for r in stranded}


async def test_recorded_tells_which_messages_other_rows_stand_for(
    database: Database, community_id: int
) -> None:
    first = await add(database, community_id, "n1")
    await add(database, community_id, "n2")
    async with database.transaction() as uow:
        await uow.outbox.mark_sent(first, "m1")
    async with database.read() as uow:
        assert await uow.outbox.recorded(community_id, "general", ["m1", "m2"]) == {"m1"}
        assert await uow.outbox.recorded(community_id, "random", ["m1"]) == set()
        assert await uow.outbox.recorded(community_id, "general", []) == set()
