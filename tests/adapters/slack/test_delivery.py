"""The outbox on the real Slack adapter: an uncertain send is looked up before it is retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TypeVar

import pytest

from bot.domain import ChannelRef, Post, SentMessage
from tests.adapters.slack.conftest import SlackTerreau
from tests.adapters.slack.fake_slack import TEAM
from tests.fakes import PATIENCE, ManualClock

pytestmark = [pytest.mark.slack, pytest.mark.delivery]

T = TypeVar("T")

KEY = f"slack:{TEAM}"
GENERAL = ChannelRef(community=KEY, channel_id="C0GENERAL")


async def queue(terreau: SlackTerreau, text: str, nonce: str) -> int:
    app = terreau.app
    async with app.database.transaction() as uow:
        return await app.delivery.enqueue(
            uow,
            community_id=app.community_id(KEY),
            where=GENERAL,
            post=Post(text=text),
            nonce=nonce,
        )


async def back_off_until_done(sending: asyncio.Task[T], clock: ManualClock) -> T:
    """Move the clock a second at a time (the outbox's back-off) until the send is done."""
    async with asyncio.timeout(PATIENCE):
        while not sending.done():
            await clock.advance(timedelta(seconds=1))
    return await sending


async def test_a_post_whose_answer_was_lost_is_found_not_posted_again(
    http_terreau: SlackTerreau, clock: ManualClock
) -> None:
    fake = http_terreau.fake
    outbox_id = await queue(http_terreau, "weekly question", "posts:q@1")
    fake.failures["chat.postMessage"] = ["after"]  # posted, but the answer is a 503

    sending = asyncio.create_task(http_terreau.app.delivery.attempt(outbox_id))
    sent = await back_off_until_done(sending, clock)

    assert len(fake.called("chat.postMessage")) == 1
    assert [call.params["include_all_metadata"] for call in fake.called("conversations.history")]
    [message] = fake.messages["C0GENERAL"]
    assert isinstance(sent, SentMessage) and sent.message_id == message["ts"]
    async with http_terreau.app.database.read() as uow:
        row = await uow.outbox.get(outbox_id)
    assert row is not None and (row.status, row.message_id) == ("sent", message["ts"])


async def test_a_post_slack_never_took_is_posted_on_retry(
    http_terreau: SlackTerreau, clock: ManualClock
) -> None:
    fake = http_terreau.fake
    outbox_id = await queue(http_terreau, "weekly question", "posts:q@1")
    fake.failures["chat.postMessage"] = ["before"]  # a 500: Slack did nothing

    sending = asyncio.create_task(http_terreau.app.delivery.attempt(outbox_id))
    sent = await back_off_until_done(sending, clock)

    assert len(fake.called("conversations.history")) == 1
    assert len(fake.called("chat.postMessage")) == 2
    assert [m["ts"] for m in fake.messages["C0GENERAL"]] == [
        sent.message_id if isinstance(sent, SentMessage) else None
    ]
