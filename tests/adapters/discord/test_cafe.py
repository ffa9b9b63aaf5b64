"""Café rounds through discord.py on the fake server: a private thread, a check-in, an archive."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.storage.cafe import Cafes
from tests.adapters.discord.conftest import GENERAL, KEY, START, Running
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.fakes import until

pytestmark = [pytest.mark.discord, pytest.mark.cafe]

ALICE = "1170000000000000011"
MO = "1170000000000000022"
CAFE = """
[communities.cafe]
enabled = true
channel = "general"
schedule = "0 10 * * 1"
checkin_days = 4
archive_days = 7
"""
ROUND = START.replace(hour=9, minute=0)  # Monday 10:00 in Paris


async def test_a_groups_private_thread_is_archived_and_locked_a_week_after_its_checkin(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start(extra=CAFE)
    community_id = app.community_id(KEY)
    async with app.database.transaction() as uow:
        for member_id, name in ((ALICE, "Alice"), (MO, "Mo")):
            await uow.members.upsert_seen(community_id, member_id, name)
            await uow.repository(Cafes).join(community_id, member_id)

    await running.clock.set(ROUND)
    await app.scheduler.idle()
    await until(lambda: len(server.threads) == 1)
    [(thread_id, thread)] = server.threads.items()
    assert (thread["type"], thread["parent_id"]) == (12, GENERAL)
    assert sorted(server.thread_members[thread_id][1:]) == sorted([ALICE, MO])
    await until(lambda: len(server.messages.get(thread_id, [])) == 1)

    await running.clock.set(ROUND + timedelta(days=4, hours=1))
    await app.scheduler.idle()
    await until(lambda: len(server.messages.get(thread_id, [])) == 2)  # the check-in
    assert thread["thread_metadata"]["archived"] is False

    await running.clock.set(ROUND + timedelta(days=11, hours=1))
    await app.scheduler.idle()
    await until(lambda: bool(server.requests_to("PATCH", f"/channels/{thread_id}")))
    assert thread["thread_metadata"]["archived"] is True
    assert thread["thread_metadata"]["locked"] is True
    assert thread_id in server.threads  # archived, never deleted
    async with app.database.read() as uow:
        assert (
            await uow.repository(Cafes).spaces_to_archive(community_id, ROUND + timedelta(days=99))
            == []
        )

    # A restart does not archive it again: the database says it is done.
    await running.stop()
    app = await running.start(extra=CAFE)
    await running.clock.set(ROUND + timedelta(days=11, hours=2))
    await app.scheduler.idle()
    assert len(server.requests_to("PATCH", f"/channels/{thread_id}")) == 1
