"""Election turnout figures from stored votes, on every backend."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from bot.analytics import MetricRegistry, Period, Scope, build_report
from bot.config import CommunityConfig
from bot.features.election._metrics import election_figures, excluded_at_close
from bot.storage import Database, UnitOfWork
from bot.storage.election import voter_key
from tests.contract.conftest import at
from tests.contract.test_analytics_providers import AS_OF, WEEK

pytestmark = [pytest.mark.election, pytest.mark.report, pytest.mark.storage]

DAY = 24 * 60


async def closed_vote(
    uow: UnitOfWork,
    community: int,
    slot: str,
    *,
    closed_at: datetime,
    result: dict[str, Any],
    nominations: tuple[tuple[str, str], ...] = (),
    ballots: int = 0,
    round: int = 0,
    end: str = "announced",
) -> int:
    """Store an election that went through nominations and a vote, closed at `closed_at`."""
    election = await uow.elections.open(
        community_id=community,
        slot=slot,
        period=slot.split(":")[-1],
        method="single",
        tie_policy="runoff",
        nominations_open_at=closed_at,
        voting_opens_at=closed_at,
        closes_at=closed_at,
        created_by=None,
        round=round,
    )
    assert election is not None
    for nominee, nominator in nominations:
        await uow.elections.nominate(
            election.id,
            nominee_id=nominee,
            nominee_name=nominee,
            nominator_id=nominator,
            reason="!",
        )
    assert await uow.elections.move(election.id, "nominating", "voting", candidates=("x",))
    for voter in range(ballots):
        await uow.elections.cast(election.id, f"key-{voter}", ("x",))
    assert await uow.elections.move(
        election.id, "voting", "closed", closed_at=closed_at, result=result
    )
    if end != "closed":
        assert await uow.elections.move(election.id, "closed", end)
    return election.id


async def history(database: Database, community: int) -> None:
    async with database.transaction() as uow:
        # The week before: February's vote, 2 ballots of 8 who could vote.
        await closed_vote(
            uow,
            community,
            "monthly:2025-02",
            closed_at=at(-3 * DAY),
            result={"ballots": 2, "eligible": 8},
            nominations=(("ann", "bob"),),
        )
        # This week: March's vote, 4 ballots of 10; three nominations of two members.
        await closed_vote(
            uow,
            community,
            "monthly:2025-03",
            closed_at=at(60),
            result={"ballots": 4, "eligible": 10},
            ballots=4,
            nominations=(("ann", "bob"), ("ann", "cat"), ("dan", "bob")),
        )
        # Its runoff and a vote cancelled after it closed are left out.
        await closed_vote(
            uow,
            community,
            "runoff:2025-03",
            closed_at=at(120),
            result={"ballots": 3, "eligible": 10},
            round=1,
        )
        await closed_vote(
            uow,
            community,
            "extra:2025-03",
            closed_at=at(180),
            result={"resolution": "cancelled"},
            ballots=5,
            end="cancelled",
        )


async def test_turnout_of_the_votes_closed_in_the_period(
    database: Database, community_id: int
) -> None:
    await history(database, community_id)
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f
            for f in await election_figures(uow, Scope(community_id=community_id), WEEK)
        }
    assert {name: f.value for name, f in figures.items()} == {
        "election_eligible": 10,
        "election_ballots": 4,
        "election_turnout": 0.4,
        "election_nominations": 3,
    }
    assert figures["election_turnout"].variables == {"months": "2025-03", "votes": 1}
    registry = MetricRegistry()
    registry.register("election", election_figures)
    report = await build_report(
        database, Scope(community_id=community_id), WEEK, as_of=AS_OF, providers=registry
    )
    turnout = report.figure("election_turnout")
    assert (turnout.value, turnout.previous) == (0.4, 0.25)


async def test_several_votes_add_up(database: Database, community_id: int) -> None:
    await history(database, community_id)
    fortnight = Period(start=date(2025, 2, 24), end=date(2025, 3, 10))
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f
            for f in await election_figures(uow, Scope(community_id=community_id), fortnight)
        }
    assert figures["election_ballots"].value == 6
    assert figures["election_turnout"].value == 6 / 18
    assert figures["election_ballots"].variables == {"months": "2025-02, 2025-03", "votes": 2}


async def test_a_vote_without_stored_counts(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        await closed_vote(
            uow,
            community_id,
            "monthly:2025-03",
            closed_at=at(60),
            result={"resolution": "moderators"},
            ballots=3,
            end="closed",
        )
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f.value
            for f in await election_figures(uow, Scope(community_id=community_id), WEEK)
        }
    # Ballots are counted from the table; who could vote then is not known.
    assert figures == {
        "election_eligible": None,
        "election_ballots": 3,
        "election_turnout": None,
        "election_nominations": 0,
    }


async def test_no_vote_closed_no_figures(database: Database, community_id: int) -> None:
    await history(database, community_id)
    quiet = Period(start=date(2025, 3, 10), end=date(2025, 3, 17))
    async with database.read() as uow:
        assert await election_figures(uow, Scope(community_id=community_id), quiet) == []


async def test_excluded_members_are_taken_out_of_each_vote_as_it_closed(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        await closed_vote(
            uow,
            community_id,
            "monthly:2025-03",
            closed_at=at(60),
            result={"ballots": 4, "eligible": 10, "excluded": {"eligible": 2, "ballots": 1}},
            ballots=4,
            nominations=(("ann", "bob"), ("ann", "cat"), ("dan", "bob")),
        )
    scope = Scope(community_id=community_id, exclude=frozenset({"bob"}))
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f.value for f in await election_figures(uow, scope, WEEK)
        }
    assert figures == {
        "election_eligible": 8,
        "election_ballots": 3,
        "election_turnout": 3 / 8,
        "election_nominations": 1,  # cat's; bob's two are left out with him
    }


async def test_a_vote_closed_before_its_exclusions_were_stored_is_unknown_when_excluding(
    database: Database, community_id: int
) -> None:
    await history(database, community_id)
    scope = Scope(community_id=community_id, exclude=frozenset({"cat"}))
    async with database.read() as uow:
        figures = {
            f.key.rsplit(".", 1)[1]: f.value for f in await election_figures(uow, scope, WEEK)
        }
    # Whether cat could vote, or voted, was not stored: no number rather than a wrong one.
    assert figures == {
        "election_eligible": None,
        "election_ballots": None,
        "election_turnout": None,
        "election_nominations": 2,
    }


async def test_the_excluded_members_share_is_counted_as_the_vote_closes(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        election = await uow.elections.open(
            community_id=community_id,
            slot="monthly:2025-03",
            period="2025-03",
            method="single",
            tie_policy="runoff",
            nominations_open_at=at(0),
            voting_opens_at=at(0),
            closes_at=at(60),
            created_by=None,
        )
        assert election is not None
        secret = await uow.elections.secret(community_id)
        for voter in ("mod", "ann", "bob"):
            await uow.elections.cast(election.id, voter_key(secret, election.id, voter), ("x",))
        community = CommunityConfig.model_validate(
            {
                "platform": "console",
                "id": "demo",
                "name": "Demo",
                "report": {"exclude_members": ["mod", "owner", "zed"]},
            }
        )
        shares = await excluded_at_close(uow, community, election, ["mod", "owner", "ann", "bob"])
    # mod and owner could vote, mod did; zed could not.
    assert shares == {"eligible": 2, "ballots": 1}
