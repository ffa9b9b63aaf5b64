"""The levels the database computes agree with `bot.activity.classify`, on any history.

`bot/storage/activity.py` applies `classify`'s rules inside its aggregate query so a
big community's levels cost one query; this property test generates many histories
(members joining at any time, speaking, replying and reacting on any day, bots and
departures among them) and thresholds, and checks both give every member the same level.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from bot.activity import Thresholds, classify_all
from bot.storage import Database
from bot.storage.models import ActivityDailyRow
from tests.contract.conftest import T0

pytestmark = [pytest.mark.icebreaker, pytest.mark.storage]

TODAY = T0.date()
_communities = itertools.count()


@st.composite
def thresholds(draw: st.DrawFn) -> Thresholds:
    core_days = draw(st.integers(1, 12))
    return Thresholds(
        new_days=draw(st.integers(0, 20)),
        window_days=draw(st.integers(1, 40)),
        core_days=core_days,
        active_days=draw(st.integers(1, core_days)),
        quiet_after_days=draw(st.integers(0, 40)),
    )


DAY = st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2))
"""Messages, replies and reactions of one member on one day."""
MEMBER = st.fixed_dictionaries(
    {
        "joined_ago": st.none() | st.integers(0, 90),
        "bot": st.booleans(),
        "left": st.booleans(),
        "days": st.dictionaries(st.integers(-2, 80), DAY, max_size=12),
    }
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    members=st.dictionaries(st.sampled_from([f"m{n}" for n in range(8)]), MEMBER, max_size=8),
    rules=thresholds(),
)
async def test_sql_levels_agree_with_classify(
    database: Database, members: dict[str, dict[str, object]], rules: Thresholds
) -> None:
    number = next(_communities)
    async with database.transaction() as uow:
        community_id = await uow.communities.ensure(
            f"fake:g{number}", "fake", f"g{number}", "Generated"
        )
        rows = []
        for member_id, member in members.items():
            joined_ago = member["joined_ago"]
            joined = None if joined_ago is None else T0 - timedelta(days=int(str(joined_ago)))
            await uow.members.upsert_seen(
                community_id, member_id, member_id, is_bot=bool(member["bot"]), joined_at=joined
            )
            if member["left"]:
                await uow.members.mark_left(community_id, member_id, T0 - timedelta(hours=1))
            days = member["days"]
            assert isinstance(days, dict)
            rows += [
                {
                    "community_id": community_id,
                    "member_id": member_id,
                    "day": TODAY - timedelta(days=ago),
                    "messages": messages,
                    "replies": replies,
                    "reactions": reactions,
                    "other": 0,
                }
                for ago, (messages, replies, reactions) in days.items()
            ]
        if rows:
            await uow.connection.execute(insert(ActivityDailyRow), rows)
    async with database.read() as uow:
        summaries = await uow.activity.summaries(community_id, TODAY, rules)
        levels = await uow.activity.levels(community_id, TODAY, rules)
    assert levels == classify_all(summaries, TODAY, rules)
