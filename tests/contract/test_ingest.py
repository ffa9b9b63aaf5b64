"""The batched interaction writer: batches, duplicates, rollups, backpressure, retries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.storage import Database, InteractionRow, InteractionWriter
from bot.storage._postgres_batch import COPY_MIN_ROWS
from bot.storage.ingest import BACKLOG_BATCHES
from bot.storage.models import ActivityDailyRow, InteractionLogRow, MemberRow
from tests.contract.conftest import T0, at, message_row
from tests.fakes import until

pytestmark = [pytest.mark.ingest, pytest.mark.storage]


class FakeTimer:
    """Stands in for asyncio.sleep: a call returns only when the test fires the timer."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self._release = asyncio.Event()
        self._called = asyncio.Condition()

    async def __call__(self, seconds: float) -> None:
        release = self._release
        async with self._called:
            self.calls.append(seconds)
            self._called.notify_all()
        await release.wait()

    async def wait_calls(self, count: int) -> None:
        async with self._called:
            await self._called.wait_for(lambda: len(self.calls) >= count)

    def fire(self) -> None:
        self._release.set()
        self._release = asyncio.Event()


async def stored_events(database: Database) -> list[str]:
    async with database.read() as uow:
        result = await uow.connection.execute(
            select(InteractionLogRow.event_id).order_by(InteractionLogRow.id)
        )
        return list(result.scalars())


async def submit_all(writer: InteractionWriter, rows: Iterable[InteractionRow]) -> None:
    for row in rows:
        await writer.submit(row)


PADDINGS = pytest.mark.parametrize("padding", [0, COPY_MIN_ROWS], ids=["small", "copied"])
"""Batches as they are, and padded to the size PostgreSQL writes by COPY."""


def padded(rows: list[InteractionRow], padding: int, batch: str) -> list[InteractionRow]:
    """Return `rows` followed by `padding` new messages of member `filler`."""
    community_id = rows[0].community_id
    return [
        *rows,
        *(message_row(community_id, f"pad-{batch}-{n}", member="filler") for n in range(padding)),
    ]


async def stored_without_padding(database: Database) -> list[str]:
    return [event for event in await stored_events(database) if not event.startswith("pad-")]


async def test_batches_are_written_when_full(database: Database, community_id: int) -> None:
    timer = FakeTimer()
    writer = InteractionWriter(database, batch_size=3, flush_interval=0.2, sleep=timer)
    await writer.start()
    await submit_all(writer, (message_row(community_id, f"e{n}") for n in range(7)))
    # The two full batches' rows are written (in one go, as they piled up) before
    # waiting on the 7th row.
    await timer.wait_calls(1)
    assert await stored_events(database) == [f"e{n}" for n in range(6)]
    assert writer.stats.batches == 1
    assert timer.calls == [0.2]
    await writer.stop()
    assert await stored_events(database) == [f"e{n}" for n in range(7)]


async def test_a_partial_batch_is_written_when_the_interval_passes(
    database: Database, community_id: int
) -> None:
    timer = FakeTimer()
    writer = InteractionWriter(database, batch_size=500, sleep=timer)
    await writer.start()
    await submit_all(writer, (message_row(community_id, f"e{n}") for n in range(3)))
    await timer.wait_calls(1)
    assert await stored_events(database) == []
    timer.fire()
    await until(lambda: writer.stats.batches == 1)  # no flush(): the timer alone triggers it
    assert await stored_events(database) == ["e0", "e1", "e2"]
    await writer.stop()
    assert timer.calls == [0.2]


async def test_flush_returns_once_everything_submitted_is_committed(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, batch_size=500, sleep=FakeTimer())
    await writer.start()
    await submit_all(writer, (message_row(community_id, f"e{n}") for n in range(5)))
    await writer.flush()
    assert len(await stored_events(database)) == 5
    await writer.flush()
    await writer.stop()


async def test_stop_writes_what_is_queued(database: Database, community_id: int) -> None:
    writer = InteractionWriter(database, batch_size=2, sleep=FakeTimer())
    await writer.start()
    await submit_all(writer, (message_row(community_id, f"e{n}") for n in range(5)))
    await writer.stop()
    assert len(await stored_events(database)) == 5
    assert writer.stats.inserted == 5
    with pytest.raises(RuntimeError, match="not running"):
        await writer.submit(message_row(community_id, "after"))


async def test_a_backlog_is_written_in_fewer_larger_batches(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, batch_size=2, queue_size=100, sleep=FakeTimer())
    await writer.start()
    # 40 rows queued at once: batches of up to BACKLOG_BATCHES x 2 rows, not 20 of 2.
    for n in range(40):
        assert writer.offer(message_row(community_id, f"e{n}"))
    await writer.flush()
    await writer.stop()
    assert len(await stored_events(database)) == 40
    assert writer.stats.inserted == 40
    assert writer.stats.batches == -(-40 // (BACKLOG_BATCHES * 2))


@PADDINGS
async def test_duplicates_are_stored_once_and_counted_once(
    database: Database, community_id: int, padding: int
) -> None:
    writer = InteractionWriter(database, batch_size=500, sleep=FakeTimer())
    await writer.start()
    first = [
        message_row(community_id, "e1", member="alice"),
        message_row(community_id, "e1", member="alice"),  # redelivered within a batch
        message_row(community_id, "e2", member="alice", kind="reply", reply_to="m-e0"),
        message_row(community_id, "e3", member="alice", kind="reaction"),
    ]
    await submit_all(writer, padded(first, padding, "1"))
    await writer.flush()
    second = [first[0], first[2], message_row(community_id, "e4", member="bob")]
    await submit_all(writer, padded(second, padding, "2"))
    await writer.stop()
    assert await stored_without_padding(database) == ["e1", "e2", "e3", "e4"]
    assert (writer.stats.inserted, writer.stats.duplicates) == (4 + 2 * padding, 3)
    async with database.read() as uow:
        days = await uow.interactions.daily_activity(community_id, T0.date(), date(2025, 3, 4))
    counts = {(d.member_id, d.messages, d.replies, d.reactions, d.other) for d in days}
    filler = {("filler", 2 * padding, 0, 0, 0)} if padding else set()
    assert counts == {("alice", 1, 1, 1, 0), ("bob", 1, 0, 0, 0), *filler}


async def test_an_event_id_is_a_duplicate_only_within_its_community(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        other = await uow.communities.ensure("fake:guild-2", "fake", "guild-2", "Guild Two")
    writer = InteractionWriter(database, batch_size=500, sleep=FakeTimer())
    await writer.start()
    await writer.submit(message_row(community_id, "e1", member="alice"))
    await writer.flush()
    await submit_all(
        writer,
        [
            message_row(other, "e1", member="alice"),
            message_row(community_id, "e1", member="alice"),  # known in the first only
            message_row(other, "e2", member="bob"),
            message_row(other, "e2", member="bob"),  # twice in the batch
        ],
    )
    await writer.stop()
    assert (writer.stats.inserted, writer.stats.duplicates) == (3, 2)
    async with database.read() as uow:
        first = await uow.interactions.daily_activity(community_id, T0.date(), date(2025, 3, 4))
        second = await uow.interactions.daily_activity(other, T0.date(), date(2025, 3, 4))
    assert [(d.member_id, d.messages) for d in first] == [("alice", 1)]
    assert sorted((d.member_id, d.messages) for d in second) == [("alice", 1), ("bob", 1)]


async def test_bots_are_logged_but_left_out_of_rollups(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, sleep=FakeTimer())
    await writer.start()
    await writer.submit(message_row(community_id, "e1", member="robot", bot=True))
    await writer.submit(message_row(community_id, "e2", member="alice", kind="edit"))
    await writer.submit(message_row(community_id, "e3", member="alice", kind="join"))
    await writer.stop()
    assert await stored_events(database) == ["e1", "e2", "e3"]
    async with database.read() as uow:
        days = await uow.interactions.daily_activity(community_id, T0.date(), date(2025, 3, 4))
        robot = await uow.members.get(community_id, "robot")
    assert [(d.member_id, d.messages, d.other) for d in days] == [("alice", 0, 1)]
    assert robot is not None
    assert robot.is_bot


async def test_the_writer_keeps_members_current(database: Database, community_id: int) -> None:
    writer = InteractionWriter(database, sleep=FakeTimer())
    await writer.start()
    join = InteractionRow(
        community_id=community_id,
        event_id="j1",
        kind="join",
        occurred_at=at(0),
        member_id="carol",
        member_name="Carol",
        joined_at=at(0),
    )
    await writer.submit(join)
    await writer.submit(message_row(community_id, "e1", member="carol", minutes=30))
    await writer.flush()
    async with database.read() as uow:
        carol = await uow.members.get(community_id, "carol")
    assert carol is not None
    assert (carol.joined_at, carol.first_seen_at, carol.last_seen_at, carol.left_at) == (
        at(0),
        at(0),
        at(30),
        None,
    )
    leave = InteractionRow(
        community_id=community_id,
        event_id="l1",
        kind="leave",
        occurred_at=at(60),
        member_id="carol",
    )
    await writer.submit(leave)
    await writer.stop()
    async with database.read() as uow:
        gone = await uow.members.get(community_id, "carol")
        present = await uow.members.present(community_id)
    assert gone is not None
    assert gone.left_at == at(60)
    assert present == []


async def test_a_member_is_rewritten_only_when_renamed_or_an_hour_later(
    database: Database, community_id: int
) -> None:
    """Seen again under the same name within the hour, a member is not written again
    (`last_seen_at` lags by up to an hour); a new name, a new bot flag or an hour
    passed writes it."""
    writer = InteractionWriter(database, sleep=FakeTimer())
    await writer.start()

    async def seen(row: InteractionRow) -> tuple[str, datetime]:
        await writer.submit(row)
        await writer.flush()
        async with database.read() as uow:
            member = await uow.members.get(community_id, "dana")
        assert member is not None
        return member.display_name, member.last_seen_at

    def row(event_id: str, minutes: float, name: str, *, bot: bool = False) -> InteractionRow:
        return message_row(
            community_id, event_id, member="dana", minutes=minutes, bot=bot
        )._replace(member_name=name)

    try:
        assert await seen(row("e1", 0, "Dana")) == ("Dana", at(0))
        assert await seen(row("e2", 30, "Dana")) == ("Dana", at(0))
        assert await seen(row("e3", 40, "Dany")) == ("Dany", at(40))
        assert await seen(row("e4", 99, "Dany")) == ("Dany", at(40))
        assert await seen(row("e5", 100, "Dany")) == ("Dany", at(100))
        assert await seen(row("e6", 101, "Dany", bot=True)) == ("Dany", at(101))
        assert await seen(row("e7", 102, "Dany", bot=True)) == ("Dany", at(101))
    finally:
        await writer.stop()


async def test_a_batch_of_many_joins_and_leaves_changes_each_member_and_no_other(
    database: Database, community_id: int
) -> None:
    # More members than one membership statement carries, in two communities whose
    # member ids are the same: each member gets its own latest join or leave.
    async with database.transaction() as uow:
        other = await uow.communities.ensure("fake:guild-2", "fake", "guild-2", "Guild Two")
    writer = InteractionWriter(database, batch_size=5000, queue_size=5000, sleep=FakeTimer())
    await writer.start()
    members = [f"m{n}" for n in range(1200)]
    await submit_all(
        writer,
        (
            message_row(place, f"seen-{m}", member=m)
            for place in (community_id, other)
            for m in members
        ),
    )
    await writer.flush()
    rows = []
    for n, member in enumerate(members):
        # Even members join at minute 10 and odd ones leave at 20; every third also
        # leaves at 5 first (an even one is back), in the first community only.
        kind, minutes = ("join", 10) if n % 2 == 0 else ("leave", 20)
        if n % 3 == 0:
            rows.append(
                message_row(community_id, f"early-{member}", member=member, kind="leave", minutes=5)
            )
        rows.append(
            message_row(community_id, f"{kind}-{member}", member=member, kind=kind, minutes=minutes)
        )
    await submit_all(writer, rows)
    await writer.stop()
    async with database.read() as uow:
        here = {m.member_id: m for m in await uow.members.present(community_id)}
        there = await uow.members.present(other)
        gone = await uow.members.get(community_id, "m1")
        back = await uow.members.get(community_id, "m0")
    assert sorted(here) == sorted(members[::2])
    assert len(there) == len(members)
    assert gone is not None and gone.left_at == at(20)
    assert back is not None and (back.joined_at, back.left_at) == (at(10), None)


async def test_a_full_queue_makes_submit_wait(database: Database, community_id: int) -> None:
    writer = InteractionWriter(database, batch_size=10, queue_size=2, sleep=FakeTimer())
    await writer.start()
    await submit_all(writer, (message_row(community_id, f"e{n}") for n in range(2)))
    blocked = asyncio.create_task(writer.submit(message_row(community_id, "e2")))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not blocked.done()
    await writer.flush()
    await blocked
    await writer.stop()
    assert await stored_events(database) == ["e0", "e1", "e2"]


async def test_rows_the_database_refuses_do_not_sink_the_batch(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, sleep=FakeTimer())
    await writer.start()
    rows = [message_row(community_id, f"e{n}") for n in range(5)]
    rows.insert(2, message_row(community_id + 1000, "orphan"))  # no such community
    await submit_all(writer, rows)
    await writer.stop()
    assert await stored_events(database) == [f"e{n}" for n in range(5)]
    assert writer.stats.rejected == 1


@PADDINGS
async def test_rows_refused_for_any_reason_are_refused_alone(
    database: Database, community_id: int, padding: int
) -> None:
    writer = InteractionWriter(database, batch_size=500, sleep=FakeTimer())
    await writer.start()
    await writer.submit(message_row(community_id, "known"))
    await writer.flush()
    refused = [
        message_row(community_id + 1000, "orphan"),  # no such community
        message_row(community_id, "bad\udc80id"),  # no driver can encode it
    ]
    if database.dialect != "sqlite":  # SQLite keeps any value in any column
        refused.append(message_row(community_id, "long", kind="k" * 17))
    good = [message_row(community_id, f"e{n}", member=f"m{n}") for n in range(4)]
    mixed = [good[0], *refused, good[1], message_row(community_id, "known")]
    await submit_all(writer, padded(mixed, padding, "1"))
    await writer.flush()
    robot = message_row(community_id, "bot", member="robot", bot=True)  # not in rollups
    await submit_all(writer, padded([*good[2:], robot], padding, "2"))
    await writer.stop()
    assert sorted(await stored_without_padding(database)) == [
        "bot",
        "e0",
        "e1",
        "e2",
        "e3",
        "known",
    ]
    assert writer.stats.rejected == len(refused)
    assert writer.stats.duplicates == 1
    async with database.read() as uow:
        days = await uow.interactions.daily_activity(community_id, T0.date(), date(2025, 3, 4))
    assert sorted((d.member_id, d.messages) for d in days if d.member_id != "filler") == [
        ("alice", 1),
        *((f"m{n}", 1) for n in range(4)),
    ]


@PADDINGS
async def test_empty_texts_nulls_and_control_characters_are_stored_exact(
    database: Database, community_id: int, padding: int
) -> None:
    writer = InteractionWriter(database, batch_size=500, sleep=FakeTimer())
    await writer.start()
    batches = [
        # Plain texts, empty ones and NULLs side by side.
        [
            message_row(community_id, "e1")._replace(channel_id="", content=""),
            message_row(community_id, "e2")._replace(channel_id=None, content=None),
            message_row(community_id, "e3")._replace(thread_id="", content="x"),
        ],
        # Texts holding the characters a batch's joined text columns use.
        [
            message_row(community_id, "e4")._replace(content="a\x1fb\x1e"),
            message_row(community_id, "e5\x1f")._replace(content="\x1e", channel_id="\x1f"),
        ],
        # One row whose text is empty.
        [message_row(community_id, "e6")._replace(channel_id="", target="")],
    ]
    for number, batch in enumerate(batches):
        await submit_all(writer, padded(batch, padding, str(number)))
        await writer.flush()
    await writer.stop()
    columns = (
        InteractionLogRow.event_id,
        InteractionLogRow.channel_id,
        InteractionLogRow.thread_id,
        InteractionLogRow.target,
        InteractionLogRow.content,
        InteractionLogRow.member_id,
    )
    async with database.read() as uow:
        stored = (await uow.connection.execute(select(*columns))).all()
    assert sorted(tuple(row) for row in stored if not row[0].startswith("pad-")) == sorted(
        (row.event_id, row.channel_id, row.thread_id, row.target, row.content, row.member_id)
        for batch in batches
        for row in batch
    )
    assert writer.stats.inserted == 6 + 3 * padding


async def test_a_locked_sqlite_database_is_retried_until_the_batch_commits(
    tmp_path: Path, database: Database, database_url: str, community_id: int
) -> None:
    if database.dialect != "sqlite":
        pytest.skip("database locks are a SQLite matter")
    impatient = await Database.connect(database_url, busy_timeout=0)
    holder = await Database.connect(database_url)
    locked, release = asyncio.Event(), asyncio.Event()

    async def hold_the_write_lock() -> None:
        async with holder.transaction():
            locked.set()
            await release.wait()

    holding = asyncio.create_task(hold_the_write_lock())
    await locked.wait()
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 3:
            release.set()
            await holding

    writer = InteractionWriter(impatient, sleep=sleep, max_backoff=0.1)
    try:
        await writer.start()
        await writer.submit(message_row(community_id, "e1"))
        await writer.flush()
        await writer.stop()
    finally:
        await holder.close()
        await impatient.close()
    assert delays == [0.05, 0.1, 0.1]
    assert writer.stats.retries == 3
    assert await stored_events(database) == ["e1"]


async def test_rows_with_naive_times_are_refused_alone(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, sleep=FakeTimer())
    await writer.start()
    naive = message_row(community_id, "naive")._replace(occurred_at=datetime(2025, 3, 3, 9))  # noqa: DTZ001
    await submit_all(
        writer, [message_row(community_id, "e1"), naive, message_row(community_id, "e2")]
    )
    await writer.stop()
    assert await stored_events(database) == ["e1", "e2"]
    assert writer.stats.rejected == 1


async def test_large_batches_with_known_events_count_each_new_row_once(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, batch_size=2500, queue_size=5000, sleep=FakeTimer())
    await writer.start()
    await submit_all(writer, (message_row(community_id, f"e{n}") for n in range(0, 2500, 2)))
    await writer.flush()
    await submit_all(
        writer, (message_row(community_id, f"e{n}", member=f"m{n % 7}") for n in range(2500))
    )
    await writer.stop()
    assert len(await stored_events(database)) == 2500
    assert (writer.stats.inserted, writer.stats.duplicates) == (2500, 1250)
    async with database.read() as uow:
        days = await uow.interactions.daily_activity(community_id, T0.date(), date(2025, 3, 4))
    assert sum(day.messages for day in days) == 2500
    assert {day.member_id for day in days} == {"alice"} | {f"m{n}" for n in range(7)}


async def test_members_written_elsewhere_keep_their_widest_window(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        await uow.members.upsert_seen(community_id, "alice", "Alice", at=at(10))
    writer = InteractionWriter(database, sleep=FakeTimer())
    await writer.start()
    await writer.submit(message_row(community_id, "e1", member="alice", minutes=5))
    await writer.submit(message_row(community_id, "e2", member="alice", minutes=20))
    await writer.stop()
    async with database.read() as uow:
        alice = await uow.members.get(community_id, "alice")
    assert alice is not None
    assert (alice.first_seen_at, alice.last_seen_at, alice.display_name) == (
        at(5),
        at(20),
        "Alice",
    )


async def test_offer_refuses_when_full_instead_of_waiting(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, batch_size=10, queue_size=1, sleep=FakeTimer())
    await writer.start()
    assert writer.offer(message_row(community_id, "e1"))
    assert not writer.offer(message_row(community_id, "e2"))
    await writer.stop()
    assert await stored_events(database) == ["e1"]


async def test_the_recorder_logs_events_of_unknown_communities_too(database: Database) -> None:
    from bot.domain import Community, Member, MessagePosted
    from bot.storage import CommunityDirectory, InteractionRecorder

    directory = CommunityDirectory(database)
    writer = InteractionWriter(database, sleep=FakeTimer())
    recorder = InteractionRecorder(writer, directory, store_content=lambda key: key == "slack:T9")
    await writer.start()
    alice = Member(id="u1", display_name="Alice")
    for community, event_id in (("discord:42", "d1"), ("slack:T9", "s1"), ("discord:42", "d2")):
        await recorder.record(
            MessagePosted(
                event_id=event_id,
                community=community,
                occurred_at=T0,
                member=alice,
                channel_id="c",
                message_id=event_id,
                text="hello",
            )
        )
    await writer.stop()
    assert directory.cached("discord:42") is not None
    async with database.read() as uow:
        stored = await uow.communities.get("discord:42")
        contents = dict(
            (
                await uow.connection.execute(
                    select(InteractionLogRow.event_id, InteractionLogRow.content)
                )
            ).all()
        )
    assert stored is not None
    assert stored.name == "42"
    assert contents == {"d1": None, "s1": "hello", "d2": None}
    renamed = await directory.ensure(Community(platform="discord", id="42", name="Guild"))
    assert renamed == stored.id
    async with database.read() as uow:
        again = await uow.communities.get("discord:42")
    assert again is not None
    assert again.name == "Guild"


async def _scenario(url: str) -> tuple[list[tuple[object, ...]], ...]:
    """Write duplicates, replies, reactions, a join and a leave; return what is stored."""
    from bot.storage import Base
    from bot.storage.models import ActivityDailyRow, MemberRow

    database = await Database.connect(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with database.transaction() as uow:
            community = await uow.communities.ensure("fake:g", "fake", "g", "G")
        writer = InteractionWriter(database, batch_size=3, sleep=FakeTimer())
        await writer.start()
        rows = [
            message_row(community, "e1", member="alice"),
            message_row(community, "e1", member="alice"),
            message_row(community, "e2", member="bob", kind="reply", reply_to="m-e1", minutes=1),
            message_row(community, "e3", member="alice", kind="reaction", minutes=2),
            message_row(community, "e4", member="carol", kind="join", minutes=3),
            message_row(community, "e5", member="bob", kind="leave", minutes=4),
            message_row(community, "e2", member="bob", kind="reply", reply_to="m-e1", minutes=1),
        ]
        await submit_all(writer, rows)
        await writer.stop()
        async with database.read() as uow:
            log = await uow.connection.execute(
                select(
                    InteractionLogRow.event_id, InteractionLogRow.kind, InteractionLogRow.member_id
                ).order_by(InteractionLogRow.id)
            )
            activity = await uow.connection.execute(
                select(
                    ActivityDailyRow.member_id,
                    ActivityDailyRow.messages,
                    ActivityDailyRow.replies,
                    ActivityDailyRow.reactions,
                ).order_by(ActivityDailyRow.member_id)
            )
            members = await uow.connection.execute(
                select(
                    MemberRow.member_id,
                    MemberRow.joined_at,
                    MemberRow.left_at,
                    MemberRow.last_seen_at,
                ).order_by(MemberRow.member_id)
            )
            return (
                [tuple(row) for row in log],
                [tuple(row) for row in activity],
                [tuple(row) for row in members],
            )
    finally:
        await database.close()


async def test_in_memory_sqlite_stores_batches_as_a_database_file_does(tmp_path: Path) -> None:
    # A file gets the writer's own connection and thread; memory goes through the pool.
    on_file = await _scenario(f"sqlite+aiosqlite:///{tmp_path / 'file.db'}")
    in_memory = await _scenario("sqlite+aiosqlite://")
    assert in_memory == on_file
    log, activity, members = on_file
    assert [event for event, _, _ in log] == ["e1", "e2", "e3", "e4", "e5"]
    assert activity == [("alice", 1, 0, 1), ("bob", 0, 1, 0)]
    assert [(member, left is not None) for member, _, left, _ in members] == [
        ("alice", False),
        ("bob", True),
        ("carol", False),
    ]


async def test_a_full_queue_hands_each_freed_slot_to_the_longest_waiting_submit(
    database: Database, community_id: int
) -> None:
    timer = FakeTimer()  # the queue (4) never reaches a batch (10): rows wait for a flush
    writer = InteractionWriter(database, batch_size=10, queue_size=4, sleep=timer)
    await writer.start()
    for n in range(4):
        assert writer.offer(message_row(community_id, f"fill{n}"))
    waiting = [
        asyncio.create_task(writer.submit(message_row(community_id, f"w{n}"))) for n in range(12)
    ]
    await until(lambda: writer.stats.waits == 12)
    assert not writer.offer(message_row(community_id, "barging"))  # behind the waiters
    await writer.flush()  # writes the 4 queued rows: 4 slots free, 4 waiters get one
    await until(lambda: sum(task.done() for task in waiting) == 4)
    assert [task.done() for task in waiting] == [True] * 4 + [False] * 8
    assert writer.queued == 4
    while not all(task.done() for task in waiting):
        await writer.flush()
    await writer.stop()
    assert await stored_events(database) == [f"fill{n}" for n in range(4)] + [
        f"w{n}" for n in range(12)
    ]
    assert writer.stats.waits == 12  # each waiting submit woke once, when its row was queued


async def test_a_cancelled_submit_gives_its_turn_to_the_next(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, batch_size=10, queue_size=2, sleep=FakeTimer())
    await writer.start()
    await submit_all(writer, (message_row(community_id, f"e{n}") for n in range(2)))
    first = asyncio.create_task(writer.submit(message_row(community_id, "gave-up")))
    second = asyncio.create_task(writer.submit(message_row(community_id, "patient")))
    await until(lambda: writer.stats.waits == 2)
    first.cancel()
    await writer.flush()
    await second
    await writer.stop()
    assert first.cancelled()
    assert await stored_events(database) == ["e0", "e1", "patient"]


async def test_stop_writes_the_rows_of_waiting_submits(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, batch_size=10, queue_size=2, sleep=FakeTimer())
    await writer.start()
    await submit_all(writer, (message_row(community_id, f"e{n}") for n in range(2)))
    waiting = [
        asyncio.create_task(writer.submit(message_row(community_id, f"w{n}"))) for n in range(5)
    ]
    await until(lambda: writer.stats.waits == 5)
    await writer.stop()
    await asyncio.gather(*waiting)
    assert await stored_events(database) == ["e0", "e1"] + [f"w{n}" for n in range(5)]


async def test_every_column_reads_back_as_written(database: Database, community_id: int) -> None:
    paris = ZoneInfo("Europe/Paris")
    rows = [
        InteractionRow(
            community_id=community_id,
            event_id="e1",
            kind="reply",
            occurred_at=datetime(2026, 10, 25, 2, 30, 1, 7, fold=1, tzinfo=paris),
            channel_id="general",
            thread_id="t1",
            member_id="alice",
            message_id="m1",
            reply_to="m0",
            target="question",
            meta=None,
            content="Bonjour ?",
            member_name="Alice",
        ),
        message_row(community_id, "e2", member="robot", bot=True, minutes=1),
    ]
    writer = InteractionWriter(database, sleep=FakeTimer())
    await writer.start()
    await submit_all(writer, rows)
    await writer.stop()

    log = InteractionLogRow
    async with database.read() as uow:
        stored = (
            await uow.connection.execute(
                select(
                    log.event_id,
                    log.kind,
                    log.occurred_at,
                    log.channel_id,
                    log.thread_id,
                    log.member_id,
                    log.message_id,
                    log.reply_to,
                    log.target,
                    log.meta,
                    log.content,
                ).order_by(log.id)
            )
        ).all()
    assert [tuple(row) for row in stored] == [
        (
            "e1",
            "reply",
            datetime(2026, 10, 25, 1, 30, 1, 7, tzinfo=UTC),
            "general",
            "t1",
            "alice",
            "m1",
            "m0",
            "question",
            None,
            "Bonjour ?",
        ),
        ("e2", "message", at(1), "general", None, "robot", "m-e2", None, None, {"bot": True}, None),
    ]


@PADDINGS
async def test_every_member_with_rollups_has_a_member_row(
    database: Database, community_id: int, padding: int
) -> None:
    """Reports on SQLite read each member's rollups by walking the members table."""
    c = community_id
    writer = InteractionWriter(database, sleep=FakeTimer())
    await writer.start()
    first = [
        message_row(c, "m1", member="ann"),
        message_row(c, "r1", member="bob", kind="reaction"),
        message_row(c, "p1", member="cy", kind="reply", reply_to="m-m1"),
        message_row(c, "c1", member="dee", kind="choice"),
    ]
    await submit_all(writer, padded(first, padding, "a"))
    await writer.flush()
    again = [message_row(c, "m1", member="ann"), message_row(c, "m2", member="ann", minutes=1)]
    await submit_all(writer, padded(again, padding, "b"))
    await writer.stop()
    async with database.read() as uow:
        conn = uow.connection
        rolled = set(
            (
                await conn.execute(
                    select(ActivityDailyRow.member_id).where(ActivityDailyRow.community_id == c)
                )
            ).scalars()
        )
        members = set(
            (
                await conn.execute(select(MemberRow.member_id).where(MemberRow.community_id == c))
            ).scalars()
        )
    assert rolled == {"ann", "bob", "cy", "dee"} | ({"filler"} if padding else set())
    assert rolled <= members
