"""Helpers of the storage contract suite; the database fixtures are in tests/conftest.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.storage import Database, InteractionRow
from tests.conftest import STORAGE_START
from tests.fakes import ManualClock

T0 = STORAGE_START


def at(minutes: float) -> datetime:
    """Return STORAGE_START plus `minutes`."""
    return T0 + timedelta(minutes=minutes)


def clock_of(database: Database) -> ManualClock:
    clock = database.clock
    assert isinstance(clock, ManualClock)
    return clock


@pytest.fixture
async def community_id(database: Database) -> int:
    async with database.transaction() as uow:
        return await uow.communities.ensure("fake:guild-1", "fake", "guild-1", "Guild One")


def message_row(
    community_id: int,
    event_id: str,
    *,
    minutes: float = 0,
    member: str = "alice",
    kind: str = "message",
    channel: str = "general",
    thread: str | None = None,
    reply_to: str | None = None,
    bot: bool = False,
    message_id: str | None = None,
) -> InteractionRow:
    return InteractionRow(
        community_id=community_id,
        event_id=event_id,
        kind=kind,
        occurred_at=at(minutes),
        channel_id=channel,
        thread_id=thread,
        member_id=member,
        message_id=message_id or f"m-{event_id}",
        reply_to=reply_to,
        meta={"bot": True} if bot else None,
        member_name=member.title(),
    )
