"""Icebreaker conversion and level movements in reports, on every backend."""

from __future__ import annotations

from datetime import date

import pytest

from bot.activity import Level
from bot.analytics import MetricRegistry, Period, Scope, build_report
from bot.features.icebreaker._metrics import compared_months, conversion_figures, level_figures
from bot.storage import Database
from tests.contract.conftest import at, clock_of, message_row
from tests.contract.test_analytics import ingest
from tests.contract.test_analytics_providers import AS_OF, WEEK

pytestmark = [pytest.mark.icebreaker, pytest.mark.report, pytest.mark.storage]

DAY = 24 * 60
JANUARY, FEBRUARY, MARCH = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


async def invitations(database: Database, community: int) -> None:
    """Invitations of the week of 3 March, and of the week before (whose 7 days end in it)."""
    sent = [
        # The week before: dave answered (stored), erin answered (not refreshed yet),
        # frank did not (only a bot's message in his name, then too late); gina welcomed.
        ("dave", "invitation", -6 * DAY),
        ("erin", "invitation", -4 * DAY),
        ("frank", "invitation", -2 * DAY),
        ("gina", "welcome", -5 * DAY),
        # This week.
        ("alice", "invitation", 60),
        ("bob", "invitation", 120),
        ("carol", "invitation", 3 * DAY),
        ("newbie", "welcome", 30),
    ]
    async with database.transaction() as uow:
        for member, kind, minutes in sent:
            await uow.icebreaker.record(
                community, member, kind=kind, nonce=f"n-{member}", prompt="p", at=at(minutes)
            )
        [dave] = [i for i in await uow.icebreaker.invitations(community) if i.member_id == "dave"]
        await uow.icebreaker.set_outcome(dave.id, responded_at=at(-5 * DAY), retained=None)
    await ingest(
        database,
        [
            message_row(community, "dave", minutes=-5 * DAY, member="dave"),
            message_row(community, "erin", minutes=-DAY, member="erin", kind="reaction"),
            message_row(community, "frank-bot", minutes=-DAY, member="frank", bot=True),
            message_row(community, "frank", minutes=6 * DAY, member="frank"),
        ],
    )


async def test_invitations_sent_and_converted(database: Database, community_id: int) -> None:
    await invitations(database, community_id)
    await clock_of(database).set(AS_OF)  # every 7-day window ending in the week is over
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f
            for f in await conversion_figures(uow, Scope(community_id=community_id), WEEK)
        }
    assert figures["icebreaker_sent"].value == 3
    converted = figures["icebreaker_converted"]
    assert converted.value == pytest.approx(2 / 3)  # dave and erin; not frank
    assert converted.variables == {"converted": 2, "known": 3}
    assert figures["welcome_sent"].value == 1
    assert figures["welcome_converted"].value == 0  # gina did nothing


async def test_a_week_not_over_counts_what_is_known(database: Database, community_id: int) -> None:
    await invitations(database, community_id)
    await clock_of(database).set(at(2 * DAY))  # Wednesday: frank's 7 days are not over
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f
            for f in await conversion_figures(uow, Scope(community_id=community_id), WEEK)
        }
    assert figures["icebreaker_converted"].variables == {"converted": 2, "known": 2}
    registry = MetricRegistry()
    registry.register("icebreaker", conversion_figures)
    report = await build_report(
        database, Scope(community_id=community_id), WEEK, as_of=AS_OF, providers=registry
    )
    sent = report.figure("icebreaker_sent")
    assert (sent.value, sent.previous) == (3, 3)
    assert report.figure("icebreaker_converted").previous is None  # nothing ended then


async def test_no_invitation_no_welcome_figures(database: Database, community_id: int) -> None:
    async with database.read() as uow:
        figures = await conversion_figures(uow, Scope(community_id=community_id), WEEK)
    assert [(f.key.rsplit(".", 1)[1], f.value) for f in figures] == [
        ("icebreaker_sent", 0),
        ("icebreaker_converted", None),
    ]


def test_the_months_compared_are_the_last_two_complete() -> None:
    assert compared_months(WEEK) == (JANUARY, FEBRUARY)
    assert compared_months(Period(start=date(2025, 2, 1), end=date(2025, 3, 1))) == (
        JANUARY,
        FEBRUARY,
    )
    assert compared_months(Period(start=date(2024, 12, 25), end=date(2025, 1, 2))) == (
        date(2024, 11, 1),
        date(2024, 12, 1),
    )


async def snapshots(database: Database, community: int) -> None:
    names = {"hana": "Hana", "amir": "amir <@123>", "bea": "Bea", "gone": "Gone"}
    january = {
        "amir": Level.OCCASIONAL,  # up
        "hana": Level.NEVER_SPOKE,  # up
        "gone": Level.QUIET,  # up, then left in March: still compared
        "bea": Level.CORE,  # down
        "cy": Level.ACTIVE,  # held
        "dee": Level.QUIET,  # held: quiet and never spoke are the same rank
        "eli": Level.NEW,  # a newcomer: not compared
        "fay": Level.OCCASIONAL,  # gone before February: not compared
        "robot": Level.OCCASIONAL,  # a bot: never counted
    }
    february = {
        "amir": Level.CORE,
        "hana": Level.OCCASIONAL,
        "gone": Level.OCCASIONAL,
        "bea": Level.ACTIVE,
        "cy": Level.ACTIVE,
        "dee": Level.NEVER_SPOKE,
        "eli": Level.CORE,
        "gil": Level.ACTIVE,  # arrived in February: not compared
        "robot": Level.CORE,
    }
    async with database.transaction() as uow:
        for member in sorted(set(january) | set(february)):
            await uow.members.upsert_seen(
                community, member, names.get(member, member.title()), is_bot=member == "robot"
            )
        await uow.members.mark_left(community, "gone", at(DAY))
        await uow.activity.record_month(community, JANUARY, january)
        await uow.activity.record_month(community, FEBRUARY, february)


async def test_level_movements_month_to_month(database: Database, community_id: int) -> None:
    await snapshots(database, community_id)
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f
            for f in await level_figures(uow, Scope(community_id=community_id), WEEK)
        }
    assert {name: f.value for name, f in figures.items()} == {
        "levels_up": 3,
        "levels_held": 2,
        "levels_down": 1,
    }
    assert figures["levels_up"].names == ("Gone", "Hana", "amir <@123>")
    assert figures["levels_down"].names == ("Bea",)
    assert figures["levels_held"].names == ()
    assert figures["levels_up"].variables == {"before": "2025-01", "after": "2025-02"}


async def test_movers_named_up_to_ten(database: Database, community_id: int) -> None:
    await snapshots(database, community_id)
    movers = [f"mover{number:02}" for number in range(1, 13)]
    async with database.transaction() as uow:
        for member in movers:
            await uow.members.upsert_seen(community_id, member, member.title(), is_bot=False)
        await uow.activity.record_month(community_id, JANUARY, dict.fromkeys(movers, Level.QUIET))
        await uow.activity.record_month(community_id, FEBRUARY, dict.fromkeys(movers, Level.CORE))
    async with database.read() as uow:
        [up, _held, _down] = await level_figures(uow, Scope(community_id=community_id), WEEK)
    # Fifteen moved up; the first ten by name are named, the report says how many more.
    assert up.value == 15
    assert up.names == ("Gone", "Hana", *(member.title() for member in movers[:8]))


async def test_no_snapshot_no_movement(database: Database, community_id: int) -> None:
    await snapshots(database, community_id)
    april = Period(start=date(2025, 4, 7), end=date(2025, 4, 14))  # February and March
    async with database.read() as uow:
        assert await level_figures(uow, Scope(community_id=community_id), april) == []
    # Both months recorded, nobody in both: zeros, not nothing.
    async with database.transaction() as uow:
        await uow.activity.record_month(community_id, MARCH, {"newcomer": Level.OCCASIONAL})
    async with database.read() as uow:
        assert [
            f.value for f in await level_figures(uow, Scope(community_id=community_id), april)
        ] == [0, 0, 0]


async def test_movements_compare_with_the_months_before(
    database: Database, community_id: int
) -> None:
    await snapshots(database, community_id)
    async with database.transaction() as uow:
        await uow.activity.record_month(
            community_id, MARCH, {"amir": Level.CORE, "hana": Level.QUIET, "bea": Level.QUIET}
        )
    registry = MetricRegistry()
    registry.register("levels", level_figures)
    march = Period(start=date(2025, 3, 1), end=date(2025, 4, 1))  # February to March
    report = await build_report(
        database, Scope(community_id=community_id), march, as_of=AS_OF, providers=registry
    )
    down = report.figure("levels_down")
    assert (down.value, down.previous, down.names) == (2, 1, ("Bea", "Hana"))
    # A week compares the same two months as the week before: no change to show.
    week = await build_report(
        database, Scope(community_id=community_id), WEEK, as_of=AS_OF, providers=registry
    )
    assert (week.figure("levels_up").value, week.figure("levels_up").previous) == (3, None)


async def test_excluded_members_invitations_are_left_out(
    database: Database, community_id: int
) -> None:
    await invitations(database, community_id)
    await clock_of(database).set(AS_OF)
    scope = Scope(community_id=community_id, exclude=frozenset({"alice", "dave", "gina"}))
    async with database.read() as uow:
        figures = {f.key.rsplit(".", 1)[1]: f for f in await conversion_figures(uow, scope, WEEK)}
    assert figures["icebreaker_sent"].value == 2  # bob and carol
    converted = figures["icebreaker_converted"]
    assert (converted.value, converted.variables) == (1 / 2, {"converted": 1, "known": 2})
    assert figures["welcome_sent"].value == 1  # newbie
    # gina's was the only welcome whose 7 days ended in the week: none is left to know.
    assert figures["welcome_converted"].variables == {"converted": 0, "known": 0}


async def test_excluded_members_levels_are_left_out(database: Database, community_id: int) -> None:
    await snapshots(database, community_id)
    scope = Scope(community_id=community_id, exclude=frozenset({"amir", "cy"}))
    async with database.read() as uow:
        figures = {f.key.rsplit(".", 1)[1]: f for f in await level_figures(uow, scope, WEEK)}
    assert {name: f.value for name, f in figures.items()} == {
        "levels_up": 2,
        "levels_held": 1,
        "levels_down": 1,
    }
    assert figures["levels_up"].names == ("Gone", "Hana")
