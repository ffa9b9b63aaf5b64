"""The SQLite file locked by another writer (`BEGIN IMMEDIATE`) for ten seconds of injected time.

The busy timeout of Terreau's connections is real time, so these tests open the
database with a tiny one (50 ms): every write attempt made while the lock is held
fails fast with "database is locked", and what happens next is Terreau's own policy.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.domain import ChannelRef, Community, Post
from bot.storage import CommunityDirectory, Database, InteractionWriter, interaction_from_event
from tests.faults.conftest import (
    ALICE,
    AT_NINE,
    BOB,
    KEY,
    MOD,
    QUESTION_JOB,
    FaultBot,
    Locker,
    message,
)

pytestmark = pytest.mark.storage

BUSY_TIMEOUT = 0.05
LOCKED_FOR = 10.0
FLUSH_INTERVAL = 0.3  # told apart from the back-off delays by its value


class InjectedSleep:
    """The writer's `sleep`: time passes only here; the lock goes after `LOCKED_FOR` seconds."""

    def __init__(self, locker: Locker) -> None:
        self.locker = locker
        self.delays: list[float] = []
        self.elapsed = 0.0

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.elapsed += delay
        if self.elapsed >= LOCKED_FOR:
            self.locker.release()
        await asyncio.sleep(0)


async def test_the_log_writer_retries_a_locked_database_and_drops_nothing(
    fault_bot: FaultBot, locker: Locker
) -> None:
    """Nothing lost, nothing partial: while the lock is held no interaction row, rollup
    or member row is written; after it is released every submitted interaction is in
    the log once, and the rollups count each once. The retries back off, bounded.
    """
    database = await Database.connect(
        fault_bot.url, clock=fault_bot.clock, busy_timeout=BUSY_TIMEOUT
    )
    community_id = await CommunityDirectory(database).ensure(
        Community(platform="console", id="demo", name="Demo")
    )
    sleep = InjectedSleep(locker)
    writer = InteractionWriter(
        database, batch_size=50, flush_interval=FLUSH_INTERVAL, max_backoff=2.0, sleep=sleep
    )
    await writer.start()
    try:
        locker.hold()
        events = [message(ALICE if i % 2 else BOB, AT_NINE, text=f"m{i}") for i in range(120)]
        for event in events:
            row = interaction_from_event(event, community_id, store_content=False)
            assert row is not None
            await writer.submit(row)
            if locker.held:
                assert fault_bot.rows("SELECT count(*) FROM interactions") == [(0,)]
                assert fault_bot.rows("SELECT count(*) FROM activity_daily") == [(0,)]
        await asyncio.wait_for(writer.flush(), timeout=60)
    finally:
        await writer.stop()
        await database.close()

    assert not locker.held
    assert sleep.elapsed >= LOCKED_FOR
    backoffs = [d for d in sleep.delays if d != FLUSH_INTERVAL]
    assert backoffs, "the writer never retried"
    assert max(backoffs) <= 2.0
    assert backoffs[:4] == sorted(backoffs[:4])  # exponential, then capped
    assert writer.stats.retries == len(backoffs) <= 16  # bounded: 10 s at most 2 s apart
    assert fault_bot.rows("SELECT count(DISTINCT event_id), count(*) FROM interactions") == [
        (120, 120)
    ]
    assert fault_bot.rows("SELECT member_id, messages FROM activity_daily ORDER BY member_id") == [
        ("alice", 60),
        ("bob", 60),
    ]
    assert fault_bot.rows("SELECT count(*) FROM members") == [(2,)]


async def test_a_ritual_due_while_locked_writes_nothing_partial_and_posts_once(
    fault_bot: FaultBot, locker: Locker, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing partial, nothing dropped, nothing doubled: a ritual due while the file is
    locked claims nothing and queues nothing (its one transaction fails whole, and the
    log says so); the scheduler tries it again on the clock, and once the lock is gone
    the retry runs it once: one ledger row (done), one outbox row (sent), one post.
    """
    caplog.set_level(logging.WARNING, logger="bot.scheduling")
    await fault_bot.start(busy_timeout=BUSY_TIMEOUT)
    locker.hold()
    await fault_bot.at(AT_NINE)
    assert "run at 2026-11-23T08:00:00+00:00 failed" in caplog.text
    assert "database is locked" in caplog.text
    assert "will be tried again at 2026-11-23T08:00:30+00:00" in caplog.text
    await fault_bot.at(AT_NINE + timedelta(seconds=10))  # ten seconds of lock
    locker.release()
    assert fault_bot.rows("SELECT count(*) FROM run_ledger WHERE job_id LIKE 'posts:%'") == [(0,)]
    assert fault_bot.rows("SELECT count(*) FROM outbox") == [(0,)]
    assert fault_bot.platform.posts() == []

    await fault_bot.at(AT_NINE + timedelta(seconds=30))
    assert len(fault_bot.platform.posts()) == 1
    assert fault_bot.rows("SELECT job_id, status FROM run_ledger WHERE job_id LIKE 'posts:%'") == [
        (QUESTION_JOB, "done")
    ]
    assert fault_bot.rows("SELECT status FROM outbox") == [("sent",)]
    await fault_bot.at(AT_NINE + timedelta(hours=1))
    await fault_bot.stop()
    await fault_bot.start(busy_timeout=BUSY_TIMEOUT)
    assert fault_bot.platform.posts() == []


async def test_a_ritual_locked_out_for_good_gives_up_and_is_caught_up_at_restart(
    fault_bot: FaultBot, locker: Locker, caplog: pytest.LogCaptureFixture
) -> None:
    """Bounded: a lock that never goes costs three retries (30 s, 2 min, 10 min apart),
    then the run is given up, logged, with nothing partial in the database; a restart
    within the grace window, with the lock gone, runs it once.
    """
    caplog.set_level(logging.WARNING, logger="bot.scheduling")
    await fault_bot.start(busy_timeout=BUSY_TIMEOUT)
    locker.hold()
    for minutes in (0, 1, 5, 15, 30):
        await fault_bot.at(AT_NINE + timedelta(minutes=minutes))
    assert caplog.text.count("run at 2026-11-23T08:00:00+00:00 failed\n") == 4
    assert "failed 4 times; given up" in caplog.text
    assert fault_bot.rows("SELECT count(*) FROM run_ledger WHERE job_id LIKE 'posts:%'") == [(0,)]
    assert fault_bot.rows("SELECT count(*) FROM outbox") == [(0,)]
    locker.release()

    await fault_bot.stop()
    await fault_bot.start(busy_timeout=BUSY_TIMEOUT)
    assert len(fault_bot.platform.posts()) == 1
    assert fault_bot.rows("SELECT job_id, status FROM run_ledger WHERE job_id LIKE 'posts:%'") == [
        (QUESTION_JOB, "done")
    ]
    assert fault_bot.rows("SELECT status FROM outbox") == [("sent",)]


async def test_a_post_whose_delivery_hits_the_lock_stays_pending_and_goes_out_once(
    fault_bot: FaultBot, locker: Locker
) -> None:
    """Nothing lost: a post queued in the outbox before the lock, whose delivery cannot
    record its outcome while the file is locked, stays pending in the outbox (the
    delivery fails whole), and is sent exactly once, with its nonce, at the next start.
    """
    app = await fault_bot.start(busy_timeout=BUSY_TIMEOUT)
    async with app.database.transaction() as uow:
        outbox_id = await app.delivery.enqueue(
            uow,
            community_id=app.community_id(KEY),
            where=ChannelRef(community=KEY, channel_id="general"),
            post=Post(text="queued before the lock"),
            nonce="locked-1",
        )
    locker.hold()
    with pytest.raises(Exception, match="database is locked"):
        await app.delivery.deliver(outbox_id)
    locker.release()
    assert fault_bot.platform.posts() == []
    assert fault_bot.rows("SELECT status, attempts FROM outbox") == [("pending", 0)]

    await fault_bot.stop()
    await fault_bot.start(busy_timeout=BUSY_TIMEOUT)
    assert [post.text for post in fault_bot.platform.posts()] == ["queued before the lock"]
    assert fault_bot.platform.sent[0].nonce == "locked-1"
    assert fault_bot.rows("SELECT status, attempts FROM outbox") == [("sent", 1)]
    await fault_bot.command(MOD, "posts", "list")  # the app is usable again
    assert fault_bot.platform.posts("respond")


async def test_a_ritual_post_whose_delivery_hits_the_lock_goes_out_on_the_retry(
    fault_bot: FaultBot, locker: Locker
) -> None:
    """Nothing dropped until a restart: the lock arrives just after the run committed
    its claim and its outbox row; the delivery fails whole (the row stays pending), and
    the scheduler's retry, finding the run claimed, sends that pending row, once.
    """
    app = await fault_bot.start(busy_timeout=BUSY_TIMEOUT)
    original = app.delivery.attempt
    calls: list[int] = []

    async def lock_then_attempt(outbox_id: int) -> object:
        if not calls:
            locker.hold()  # once: right after the run committed, before it sends
        calls.append(outbox_id)
        return await original(outbox_id)

    app.delivery.attempt = lock_then_attempt  # type: ignore[method-assign,assignment]
    await fault_bot.at(AT_NINE)
    assert locker.held
    locker.release()
    assert fault_bot.rows("SELECT status FROM run_ledger WHERE job_id LIKE 'posts:%'") == [
        ("done",)
    ]
    assert fault_bot.rows("SELECT status FROM outbox") == [("pending",)]
    assert fault_bot.platform.posts() == []

    await fault_bot.at(AT_NINE + timedelta(seconds=30))
    assert len(fault_bot.platform.posts()) == 1
    assert fault_bot.rows("SELECT status FROM outbox") == [("sent",)]
    await fault_bot.at(AT_NINE + timedelta(hours=1))
    assert len(fault_bot.platform.posts()) == 1
