"""Activity summaries from the rollups, and monthly level snapshots, on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert

from bot.activity import Level, LevelMove, Thresholds, classify_all
from bot.storage import Database
from bot.storage.models import ActivityDailyRow
from tests.contract.conftest import T0, at

pytestmark = [pytest.mark.icebreaker, pytest.mark.storage]

TODAY = T0.date()
T = Thresholds(new_days=14, window_days=30, core_days=3, active_days=2, quiet_after_days=20)


async def rollup(database: Database, community_id: int, member: str, *days_ago: int) -> None:
    async with database.transaction() as uow:
        await uow.connection.execute(
            insert(ActivityDailyRow),
            [
                {
                    "community_id": community_id,
                    "member_id": member,
                    "day": TODAY - timedelta(days=ago),
                    "messages": 1,
                    "replies": 0,
                    "reactions": 0,
                    "other": 0,
                }
                for ago in days_ago
            ],
        )


async def test_levels_come_from_the_rollups(database: Database, community_id: int) -> None:
    old = at(-400 * 24 * 60)
    async with database.transaction() as uow:
        for member in ("core", "active", "occasional", "quiet", "silent", "left", "robot"):
            await uow.members.upsert_seen(
                community_id, member, member.title(), joined_at=old, is_bot=member == "robot"
            )
        await uow.members.upsert_seen(community_id, "newbie", "Newbie", joined_at=at(-60))
        await uow.members.mark_left(community_id, "left", at(-10))
    await rollup(database, community_id, "core", 0, 1, 2, 40)
    await rollup(database, community_id, "active", 3, 4)
    await rollup(database, community_id, "occasional", 5)
    await rollup(database, community_id, "quiet", 25, 26, 27)
    await rollup(database, community_id, "left", 1, 2, 3)
    await rollup(database, community_id, "robot", 1, 2, 3)
    await rollup(database, community_id, "core", -1)  # tomorrow does not count yet

    async with database.read() as uow:
        summaries = {s.member_id: s for s in await uow.activity.summaries(community_id, TODAY, T)}
        levels = await uow.activity.levels(community_id, TODAY, T)

    assert summaries["core"].active_days == 3 and summaries["core"].spoke == 4
    assert summaries["quiet"].last_active == TODAY - timedelta(days=25)
    assert levels == {
        "core": Level.CORE,
        "active": Level.ACTIVE,
        "occasional": Level.OCCASIONAL,
        "quiet": Level.QUIET,
        "silent": Level.NEVER_SPOKE,
        "newbie": Level.NEW,
    }


async def test_monthly_snapshots_record_moves(database: Database, community_id: int) -> None:
    october, november = date(2025, 10, 1), date(2025, 11, 1)
    async with database.transaction() as uow:
        await uow.activity.record_month(community_id, october, {"ann": Level.ACTIVE})
        await uow.activity.record_month(
            community_id, november, {"ann": Level.CORE, "bea": Level.NEW}
        )
        await uow.activity.record_month(community_id, november, {"ann": Level.QUIET})
    async with database.read() as uow:
        assert await uow.activity.of_month(community_id, november) == {
            "ann": Level.QUIET,
            "bea": Level.NEW,
        }
        assert await uow.activity.movements(community_id, october, november) == [
            LevelMove(member_id="ann", before=Level.ACTIVE, after=Level.QUIET),
            LevelMove(member_id="bea", before=None, after=Level.NEW),
        ]
    async with database.transaction() as uow:
        await uow.activity.erase_member(community_id, "ann")
    async with database.read() as uow:
        assert await uow.activity.of_month(community_id, october) == {}


async def test_the_database_classifies_exactly_like_classify(
    database: Database, community_id: int
) -> None:
    midnight = datetime.combine(TODAY, time.min, tzinfo=UTC)
    joined = {
        "new-edge": midnight - timedelta(days=T.new_days - 1),
        "old-edge": midnight - timedelta(days=T.new_days) + timedelta(hours=23, minutes=59),
        "no-join": None,
    }
    async with database.transaction() as uow:
        for n in range(40):
            when = midnight - timedelta(days=n * 3)
            await uow.members.upsert_seen(community_id, f"m{n:02}", "M", joined_at=when)
        for member, when in joined.items():
            await uow.members.upsert_seen(community_id, member, member, joined_at=when)
    for n in range(40):
        await rollup(database, community_id, f"m{n:02}", *range(n % 7, 40, 1 + n % 5))
    await rollup(database, community_id, "quiet-edge-in", T.quiet_after_days)
    await rollup(database, community_id, "quiet-edge-out", T.quiet_after_days - 1)
    await rollup(database, community_id, "two-days", 1, 2)
    async with database.transaction() as uow:
        for member in ("quiet-edge-in", "quiet-edge-out", "two-days"):
            await uow.members.upsert_seen(community_id, member, member, joined_at=at(-(10**6)))
    async with database.read() as uow:
        summaries = await uow.activity.summaries(community_id, TODAY, T)
        levels = await uow.activity.levels(community_id, TODAY, T)
    assert levels == classify_all(summaries, TODAY, T)
    assert levels["new-edge"] is Level.NEW and levels["old-edge"] is Level.NEVER_SPOKE
    assert levels["quiet-edge-in"] is Level.QUIET
    assert levels["quiet-edge-out"] is Level.OCCASIONAL
    assert levels["two-days"] is Level.ACTIVE
    assert len(set(levels.values())) == len(Level)
