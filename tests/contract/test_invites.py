"""The co-optation repository on every backend: links, use counts taken once, one co-opter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from bot.analytics import Period, Scope
from bot.features.invites._metrics import cooptation_figures
from bot.storage import Database
from bot.storage.invites import Invites
from bot.storage.models import ActivityDailyRow
from tests.contract.conftest import T0

pytestmark = [pytest.mark.invites, pytest.mark.report, pytest.mark.storage]


async def test_a_rise_in_use_counts_is_taken_once(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        repo = uow.repository(Invites)
        await repo.add_link(community_id, "ann", "https://x/a", 0)
        await repo.add_link(community_id, "ann", "https://x/a", 0)
        await repo.add_link(community_id, "bea", "https://x/b", 2)
        assert await repo.link_of(community_id, "ann") == "https://x/a"
        assert await repo.link_of(community_id, "cy") is None
    seen = {"https://x/a": 1, "https://x/b": 2, "https://x/other": 9}
    async with database.transaction() as uow:
        assert await uow.repository(Invites).take_uses(community_id, seen) == {"https://x/a": "ann"}
    async with database.transaction() as uow:
        assert await uow.repository(Invites).take_uses(community_id, seen) == {}


async def test_a_newcomer_has_one_co_opter(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        repo = uow.repository(Invites)
        assert await repo.coopt(community_id, "nina", "ann", "link")
        assert not await repo.coopt(community_id, "nina", "bea", "declared")
    async with database.read() as uow:
        found = await uow.repository(Invites).cooptation(community_id, "nina")
    assert found is not None
    assert (found.by_member_id, found.way, found.at) == ("ann", "link", T0)


async def test_reports_compare_co_opted_newcomers_with_the_others(
    database: Database, community_id: int
) -> None:
    # The report of March 2025: its cohort arrived 60 to 30 days before 1 April.
    period = Period(start=date(2025, 3, 1), end=date(2025, 4, 1))
    arrived = datetime(2025, 2, 10, 12, tzinfo=UTC)
    active = {
        "nina": [(arrived.date(), 1), (date(2025, 3, 20), 0)],  # posted, stayed
        "omar": [(date(2025, 2, 12), 0)],  # reacted only, left soon
        "pia": [(date(2025, 2, 11), 2)],  # posted, did not stay
        "quin": [],  # never did anything
    }
    async with database.transaction() as uow:
        for member in active:
            await uow.members.upsert_seen(
                community_id, member, member.title(), joined_at=arrived, at=arrived
            )
        await uow.members.upsert_seen(
            community_id, "early", "Early", joined_at=datetime(2025, 1, 2, tzinfo=UTC)
        )
        rows = [
            {"community_id": community_id, "member_id": m, "day": d, "messages": n, "other": 1}
            for m, days in active.items()
            for d, n in days
        ]
        await uow.connection.execute(insert(ActivityDailyRow), rows)
        await uow.repository(Invites).coopt(community_id, "nina", "ann", "link")
        await uow.repository(Invites).coopt(community_id, "omar", "ann", "declared")
        await uow.repository(Invites).coopt(community_id, "early", "ann", "declared")
    async with database.read() as uow:
        figures = await cooptation_figures(uow, Scope(community_id=community_id), period)

    shown = {f.key.removeprefix("report.figures."): (f.value, f.variables) for f in figures}
    assert shown == {
        "coopted_first_post": (0.5, {"cohort": 2}),
        "coopted_retention": (0.5, {"cohort": 2}),
        "others_first_post": (0.5, {"cohort": 2}),
        "others_retention": (0.0, {"cohort": 2}),
    }
    async with database.read() as uow:
        excluded = Scope(community_id=community_id, exclude=frozenset({"nina", "omar"}))
        assert await cooptation_figures(uow, excluded, period) == []


async def test_co_opters_are_thanked_by_count_and_in_alphabetical_order_never_ranked(
    database: Database, community_id: int
) -> None:
    period = Period(start=T0.date(), end=T0.date() + timedelta(days=7))
    async with database.transaction() as uow:
        for member, name in (("u1", "bob"), ("u2", "Carol"), ("u3", "alice"), ("u4", "zed")):
            await uow.members.upsert_seen(community_id, member, name, at=T0)
        repo = uow.repository(Invites)
        # Bob brought three newcomers, Carol and Alice one each: Bob is not first for it.
        for newcomer, by in (("n1", "u1"), ("n2", "u1"), ("n3", "u1"), ("n4", "u2"), ("n5", "u3")):
            await repo.coopt(community_id, newcomer, by, "declared")
        await repo.coopt(community_id, "n6", "u4", "declared")
    async with database.read() as uow:
        scope = Scope(community_id=community_id, exclude=frozenset({"u4"}))
        [thanks] = [
            f
            for f in await cooptation_figures(uow, scope, period)
            if f.key == "report.figures.coopters"
        ]
        before = Period(start=T0.date() - timedelta(days=7), end=T0.date())
        assert await cooptation_figures(uow, scope, before) == []
    assert (thanks.value, thanks.names, thanks.unit) == (3, ("alice", "bob", "Carol"), "count")
