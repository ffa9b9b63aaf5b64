"""Queries over the interaction log: responses to a post, retention, erasure."""

from __future__ import annotations

from datetime import date

import pytest

from bot.storage import Database, InteractionRow, InteractionWriter
from tests.contract.conftest import T0, at, message_row

pytestmark = [pytest.mark.ingest, pytest.mark.storage]


async def ingest(database: Database, rows: list[InteractionRow]) -> None:
    writer = InteractionWriter(database)
    await writer.start()
    for row in rows:
        await writer.submit(row)
    await writer.stop()


async def count(database: Database, community: int, thread: str | None) -> int:
    async with database.read() as uow:
        return await uow.interactions.count_responses(
            community, "general", "post", thread, at(0), at(60)
        )


async def test_responses_to_a_post_without_thread(database: Database, community_id: int) -> None:
    c = community_id
    await ingest(
        database,
        [
            message_row(c, "bot-post", member="terreau", bot=True, message_id="post"),
            message_row(c, "r1", minutes=5, kind="reply", reply_to="post", channel="other"),
            message_row(c, "r2", minutes=6, member="bob"),
            message_row(c, "r3", minutes=7, member="carol", kind="reply", thread="t9"),
            message_row(c, "bot", minutes=8, member="other-bot", bot=True),
            message_row(c, "react", minutes=9, kind="reaction"),
            message_row(c, "elsewhere", minutes=10, channel="random"),
            message_row(c, "too-late", minutes=60),
            message_row(c, "too-early", minutes=-1),
        ],
    )
    assert await count(database, c, None) == 3


async def test_responses_to_a_post_with_a_thread(database: Database, community_id: int) -> None:
    c = community_id
    await ingest(
        database,
        [
            message_row(c, "in-thread", minutes=1, kind="reply", thread="t1"),
            message_row(c, "reply", minutes=2, kind="reply", reply_to="post"),
            message_row(c, "channel-chatter", minutes=3),
            message_row(c, "other-thread", minutes=4, kind="reply", thread="t2"),
        ],
    )
    assert await count(database, c, "t1") == 2


async def test_purge_and_erase(database: Database, community_id: int) -> None:
    c = community_id
    await ingest(
        database,
        [
            message_row(c, "old", minutes=-120, member="alice"),
            message_row(c, "new", minutes=5, member="alice"),
            message_row(c, "bob", minutes=5, member="bob"),
        ],
    )
    async with database.transaction() as uow:
        assert await uow.interactions.purge_before(c, at(0)) == 1
        assert await uow.interactions.erase_member(c, "alice") == 1
    async with database.read() as uow:
        days = await uow.interactions.daily_activity(c, T0.date(), date(2025, 3, 4))
        assert await uow.members.get(c, "alice") is None
    assert [d.member_id for d in days] == ["bob"]
