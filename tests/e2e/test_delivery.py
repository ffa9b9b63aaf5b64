"""Sends go through the outbox: platform errors, retries, and recovery after a crash."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain import ChannelRef, Post
from bot.ports import Forbidden, RateLimited, Unavailable
from tests.e2e.conftest import KEY, MOD, Terreau
from tests.fakes import PATIENCE, until

pytestmark = pytest.mark.delivery


async def outbox_statuses(terreau: Terreau) -> list[str]:
    assert terreau.app is not None
    async with terreau.app.database.read() as uow:
        rows = await uow.outbox.recent_for_job("posts:console:demo:question", 10)
        pending = await uow.outbox.pending(10)
    return [row.status for row in rows] + [row.status for row in pending]


async def test_a_refused_post_is_marked_failed_and_the_moderator_told(terreau: Terreau) -> None:
    await terreau.start()
    terreau.platform.failures.append(Forbidden("missing permission"))
    await terreau.command(MOD, "posts", "now", "question")
    assert terreau.platform.posts() == []
    assert terreau.said(terreau.platform.posts("respond")[-1]) == "messages.posts.post_failed"
    assert terreau.platform.attempts == 1
    assert await outbox_statuses(terreau) == []  # neither sent nor pending


async def test_rate_limits_and_outages_are_retried_on_the_clock(terreau: Terreau) -> None:
    await terreau.start()
    terreau.platform.failures += [RateLimited(30), Unavailable("502")]
    running = asyncio.create_task(terreau.command(MOD, "posts", "now", "question"))
    await until(lambda: terreau.platform.attempts == 1)
    assert terreau.platform.posts() == []
    await terreau.clock.advance(timedelta(seconds=30))  # Retry-After
    await until(lambda: terreau.platform.attempts == 2)
    await terreau.clock.advance(timedelta(seconds=1))  # first backoff
    await asyncio.wait_for(running, timeout=PATIENCE)
    assert terreau.platform.attempts == 3
    assert len(terreau.platform.posts()) == 1
    assert terreau.said(terreau.platform.posts("respond")[-1]) == "messages.posts.posted"


async def test_a_post_left_pending_by_a_crash_is_sent_once_at_the_next_start(
    terreau: Terreau,
) -> None:
    app = await terreau.start()
    async with app.database.transaction() as uow:
        await app.delivery.enqueue(
            uow,
            community_id=app.community_id(KEY),
            where=ChannelRef(community=KEY, channel_id="general"),
            post=Post(text="queued before the crash"),
            nonce="crash-test",
        )
    await terreau.stop()  # the process "died" before sending
    await terreau.start()
    assert [post.text for post in terreau.platform.posts()] == ["queued before the crash"]
    assert terreau.platform.sent[0].nonce == "crash-test"
    await terreau.stop()
    await terreau.start()
    assert terreau.platform.posts() == []
