"""Two processes' deliveries on one outbox: only the lease holder sends; a lapsed lease is
taken over, confirmed with the platform first, and sent only when the platform lacks it.

Each `Delivery` here stands for a process (its own lease owner) on the same database
(SQLite, and PostgreSQL when configured); the platform is shared, as Slack is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from bot.delivery import LEASE, Delivery
from bot.domain import ChannelRef, Post, SentMessage
from bot.ports import ChatPlatform, Unavailable
from bot.storage import Database
from tests.fakes import FakePlatform, ManualClock, until

pytestmark = pytest.mark.delivery

KEY = "fake:guild-1"
GENERAL = ChannelRef(community=KEY, channel_id="general")


@dataclass
class HeldPlatform(FakePlatform):
    """A platform whose sends wait until the test lets them answer.

    With `store_first`, the post is on the platform before the wait (the answer is
    what is lost when the sender dies); without, the post is lost with the sender.
    """

    store_first: bool = True
    held: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    calls: int = 0

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        self.calls += 1
        if self.store_first:
            message = await super().send(where, post, nonce=nonce)
        self.waiting += 1
        try:
            await self.held.wait()
        finally:
            self.waiting -= 1
        if not self.store_first:
            message = await super().send(where, post, nonce=nonce)
        return message


@dataclass
class ContentPlatform(FakePlatform):
    """A platform that keeps no nonce, so a post is found by its content (as on Discord)."""

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        return [
            item.message
            for item in self.sent
            if item.kind == "send" and item.post.text == post.text and item.message is not None
        ]


def process(database: Database, platform: ChatPlatform, owner: str) -> Delivery:
    """A process's delivery: its own lease owner, the shared database and platform."""
    return Delivery(database, lambda _key: platform, database.clock, owner=owner)  # type: ignore[arg-type]


async def queue(database: Database, text: str, nonce: str) -> int:
    async with database.transaction() as uow:
        community = await uow.communities.ensure(KEY, "fake", "guild-1", "Guild One")
        return await process(database, FakePlatform(), "queuer").enqueue(
            uow, community_id=community, where=GENERAL, post=Post(text=text), nonce=nonce
        )


async def status(database: Database, outbox_id: int) -> tuple[str, str | None]:
    async with database.read() as uow:
        row = await uow.outbox.get(outbox_id)
    assert row is not None
    return row.status, row.message_id


def clock_of(database: Database) -> ManualClock:
    assert isinstance(database.clock, ManualClock)
    return database.clock


async def test_a_row_another_process_is_sending_is_left_alone(database: Database) -> None:
    platform = HeldPlatform()
    winner, loser = process(database, platform, "a"), process(database, platform, "b")
    outbox_id = await queue(database, "weekly question", "posts:q@1")

    sending = asyncio.create_task(winner.attempt(outbox_id))
    await until(lambda: platform.waiting == 1)
    assert await loser.attempt(outbox_id) is None
    assert await loser.deliver_pending() == 0
    assert platform.calls == 1

    platform.held.set()
    sent = await sending
    assert isinstance(sent, SentMessage)
    assert await status(database, outbox_id) == ("sent", sent.message_id)
    assert await loser.deliver(outbox_id) == sent  # the recorded message, not a second send
    assert len(platform.posts()) == 1


async def test_the_lease_is_renewed_while_a_slow_send_runs(database: Database) -> None:
    clock = clock_of(database)
    platform = HeldPlatform()
    winner, loser = process(database, platform, "a"), process(database, platform, "b")
    outbox_id = await queue(database, "weekly question", "posts:q@1")

    sending = asyncio.create_task(winner.attempt(outbox_id))
    await until(lambda: platform.waiting == 1 and clock.sleeping == 1)  # the renewal waits
    for _ in range(12):  # three leases long, a quarter lease at a time
        await clock.advance_settled(LEASE / 4, sleepers=1)  # any renewal due is stored
        assert await loser.attempt(outbox_id) is None
    assert platform.calls == 1
    platform.held.set()
    assert isinstance(await sending, SentMessage)
    assert len(platform.posts()) == 1


@pytest.mark.parametrize("posted", [True, False], ids=["platform-has-it", "post-lost"])
async def test_a_lapsed_lease_is_confirmed_with_the_platform_then_sent_once(
    database: Database, posted: bool
) -> None:
    clock = clock_of(database)
    platform = HeldPlatform(store_first=posted)
    dead, survivor = process(database, platform, "a"), process(database, platform, "b")
    outbox_id = await queue(database, "weekly question", "posts:q@1")

    sending = asyncio.create_task(dead.attempt(outbox_id))
    await until(lambda: platform.waiting == 1)
    sending.cancel()  # the process dies mid-send: no answer recorded, no renewal
    with pytest.raises(asyncio.CancelledError):
        await sending
    assert await status(database, outbox_id) == ("pending", None)
    assert await survivor.attempt(outbox_id) is None  # the lease still runs

    await clock.advance(LEASE + timedelta(seconds=1))
    platform.store_first = True
    platform.held.set()
    sent = await survivor.attempt(outbox_id)
    assert isinstance(sent, SentMessage)
    assert len(platform.posts()) == 1
    assert await status(database, outbox_id) == ("sent", sent.message_id)
    # Only a post the platform did not have was sent again.
    assert platform.calls == (1 if posted else 2)


async def test_the_watch_takes_over_stranded_rows(database: Database) -> None:
    clock = clock_of(database)
    platform = FakePlatform()
    watcher = process(database, platform, "b")
    queued = await queue(database, "queued, then its process died", "n1")
    watcher.watch()
    try:
        await until(lambda: clock.sleeping == 1)
        # The watch looks, and finds it too recent: its process may be about to send it.
        await clock.advance_settled(LEASE / 2, sleepers=1)
        assert platform.attempts == 0
        await clock.advance(LEASE / 2)
        await until(lambda: platform.attempts == 1)
        assert (await status(database, queued))[0] == "sent"
    finally:
        await watcher.stop()


async def test_identical_posts_each_get_their_own_message(database: Database) -> None:
    """On a platform that finds posts by content, a message another row stands for is not
    taken for this one's: the second of two identical notices is still posted."""
    clock = clock_of(database)
    platform = ContentPlatform()
    first = await queue(database, "the ritual is paused", "notice@1")
    second = await queue(database, "the ritual is paused", "notice@2")
    one = process(database, platform, "a")
    assert isinstance(await one.attempt(first), SentMessage)
    # The second one's send failed with an uncertain answer, then its process died.
    platform.failures.append(Unavailable("timeout"))
    dying = asyncio.create_task(one.attempt(second))
    await until(lambda: platform.attempts == 2)
    dying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await dying
    await clock.advance(LEASE * 2)

    sent = await process(database, platform, "b").attempt(second)
    assert isinstance(sent, SentMessage)
    assert len(platform.posts()) == 2
    assert {await status(database, first), await status(database, second)} == {
        ("sent", "m1"),
        ("sent", "m2"),
    }
