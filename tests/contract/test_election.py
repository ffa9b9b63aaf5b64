"""The election repository on every backend: uniqueness lives in the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.features.election import count, voter_key
from bot.storage import Database, ElectionRecord
from bot.storage.election import is_former_member
from tests.contract.conftest import T0, at

pytestmark = [pytest.mark.election, pytest.mark.storage]


async def open_election(
    database: Database, community_id: int, slot: str = "s1", **fields: object
) -> ElectionRecord | None:
    values: dict[str, object] = {
        "community_id": community_id,
        "slot": slot,
        "period": "2025-03",
        "method": "single",
        "tie_policy": "co_winners",
        "nominations_open_at": T0,
        "voting_opens_at": at(60),
        "closes_at": at(120),
        "created_by": None,
        **fields,
    }
    async with database.transaction() as uow:
        return await uow.elections.open(**values)  # type: ignore[arg-type]


async def test_one_running_election_per_community(database: Database, community_id: int) -> None:
    first = await open_election(database, community_id, "a")
    assert first is not None and first.phase == "nominating"
    assert await open_election(database, community_id, "b") is None
    async with database.transaction() as uow:
        assert await uow.elections.move(first.id, "nominating", "cancelled")
        assert not await uow.elections.move(first.id, "nominating", "voting")  # compare-and-set
    second = await open_election(database, community_id, "b")
    assert second is not None
    assert await open_election(database, community_id, "b") is None  # the slot is taken for good
    async with database.read() as uow:
        running = await uow.elections.running(community_id)
        assert running is not None and running.id == second.id
        assert [e.id for e in await uow.elections.unfinished(community_id)] == [second.id]


async def test_concurrent_openings_of_one_slot_create_one(
    database: Database, community_id: int
) -> None:
    results = await asyncio.gather(*(open_election(database, community_id, "x") for _ in range(4)))
    assert len([r for r in results if r is not None]) == 1


async def test_nominations_are_unique_per_nominator_and_nominee(
    database: Database, community_id: int
) -> None:
    election = await open_election(database, community_id)
    assert election is not None
    async with database.transaction() as uow:
        add = uow.elections.nominate
        assert await add(
            election.id, nominee_id="bob", nominee_name="Bob", nominator_id="al", reason="kind"
        )
        assert not await add(
            election.id, nominee_id="bob", nominee_name="Bob", nominator_id="al", reason="again"
        )
        assert await add(
            election.id, nominee_id="bob", nominee_name="Bobby", nominator_id="cy", reason="fun"
        )
        assert await add(
            election.id, nominee_id="cy", nominee_name="Cy", nominator_id="al", reason="wise"
        )
    async with database.read() as uow:
        nominations = await uow.elections.nominations(election.id)
    assert [(n.nominee_id, n.nominator_id, n.reason) for n in nominations] == [
        ("bob", "al", "kind"),
        ("bob", "cy", "fun"),
        ("cy", "al", "wise"),
    ]


async def test_a_changed_vote_updates_the_one_row(database: Database, community_id: int) -> None:
    election = await open_election(database, community_id)
    assert election is not None
    async with database.transaction() as uow:
        secret = await uow.elections.secret(community_id)
        assert await uow.elections.secret(community_id) == secret  # stable
        key = voter_key(secret, election.id, "alice")
        assert "alice" not in key and len(key) == 64
        await uow.elections.cast(election.id, key, ("bob",))
    await clock_forward(database, 5)
    async with database.transaction() as uow:
        await uow.elections.cast(election.id, key, ("cy", "bob"))
    async with database.read() as uow:
        assert await uow.elections.ballots(election.id) == [("cy", "bob")]
        vote = await uow.elections.vote_of(election.id, key)
    assert vote is not None and vote.ranking == ("cy", "bob")
    assert vote.cast_at == T0 and vote.updated_at == at(5)


async def test_concurrent_double_votes_keep_one_row(database: Database, community_id: int) -> None:
    election = await open_election(database, community_id)
    assert election is not None
    async with database.transaction() as uow:
        key = voter_key(await uow.elections.secret(community_id), election.id, "alice")

    async def vote(choice: str) -> None:
        async with database.transaction() as uow:
            await uow.elections.cast(election.id, key, (choice,))

    await asyncio.gather(*(vote(choice) for choice in ("bob", "cy", "bob", "cy")))
    async with database.read() as uow:
        assert await uow.elections.count_votes(election.id) == 1
        assert (await uow.elections.ballots(election.id))[0] in (("bob",), ("cy",))


async def test_withdraw_and_seal(database: Database, community_id: int) -> None:
    election = await open_election(database, community_id)
    assert election is not None
    async with database.transaction() as uow:
        secret = await uow.elections.secret(community_id)
        for member in ("a", "b", "c"):
            await uow.elections.cast(election.id, voter_key(secret, election.id, member), ("x",))
        assert await uow.elections.withdraw(election.id, voter_key(secret, election.id, "b"))
        assert not await uow.elections.withdraw(election.id, voter_key(secret, election.id, "b"))
        assert await uow.elections.seal(election.id) == 2
        # Sealed ballots still count but can no longer be found from a member id.
        assert await uow.elections.vote_of(election.id, voter_key(secret, election.id, "a")) is None
        assert await uow.elections.ballots(election.id) == [("x",), ("x",)]


async def test_winners_and_the_audit_log(database: Database, community_id: int) -> None:
    election = await open_election(database, community_id)
    assert election is not None
    async with database.transaction() as uow:
        for _ in range(2):  # entering a winner twice keeps one row
            await uow.elections.add_winner(
                election.id,
                community_id=community_id,
                member_id="bob",
                display_name="Bob",
                period="2025-03",
            )
        await uow.elections.audit(community_id, election.id, "announced", detail={"w": ["bob"]})
        await uow.elections.audit(community_id, None, "role_given", actor_id="mod")
    async with database.read() as uow:
        winners = await uow.elections.winners(community_id)
        last = await uow.elections.last_win(community_id, "bob")
        log = await uow.elections.audit_log(community_id)
    assert [(w.member_id, w.period) for w in winners] == [("bob", "2025-03")]
    assert last is not None and last.display_name == "Bob"
    assert [(e.action, e.actor_id, e.detail) for e in log] == [
        ("announced", None, {"w": ["bob"]}),
        ("role_given", "mod", None),
    ]


async def test_reschedule_only_in_the_expected_phase(database: Database, community_id: int) -> None:
    election = await open_election(database, community_id)
    assert election is not None
    later = election.closes_at + timedelta(hours=3)
    async with database.transaction() as uow:
        assert not await uow.elections.reschedule(
            election.id, "voting", voting_opens_at=at(0), closes_at=later
        )
        assert await uow.elections.reschedule(
            election.id, "nominating", voting_opens_at=at(90), closes_at=later
        )
        assert await uow.elections.move(
            election.id, "nominating", "voting", candidates=("bob", "cy")
        )
    async with database.read() as uow:
        stored = await uow.elections.get(election.id)
    assert stored is not None
    assert (stored.voting_opens_at, stored.closes_at) == (at(90), later)
    assert stored.candidates == ("bob", "cy")


async def clock_forward(database: Database, minutes: float) -> None:
    from tests.contract.conftest import clock_of

    await clock_of(database).set(at(minutes))


async def erasure_scene(database: Database, community_id: int) -> tuple[int, int, bytes]:
    """A past election Al won, and a ranked vote running now that Al started and votes in.

    Returns the past election, the running one and the community's voter-key secret.
    """
    past = await open_election(database, community_id, "past", candidates=("al", "bo"))
    assert past is not None
    async with database.transaction() as uow:
        secret = await uow.elections.secret(community_id)
        nominate = uow.elections.nominate
        await nominate(
            past.id, nominee_id="al", nominee_name="Al", nominator_id="cy", reason="kind"
        )
        await nominate(past.id, nominee_id="bo", nominee_name="Bo", nominator_id="al", reason="fun")
        for voter, ranking in (("cy", ("al",)), ("bo", ("al",)), ("al", ("bo",))):
            await uow.elections.cast(past.id, voter_key(secret, past.id, voter), ranking)
        result = {
            "winners": ["al"],
            "rounds": [{"al": 2, "bo": 1}],
            "ballots": 3,
            "tied": [],
            "resolution": "winner",
        }
        await uow.elections.move(past.id, "nominating", "announced", result=result)
        await uow.elections.seal(past.id)
        await uow.elections.add_winner(
            past.id, community_id=community_id, member_id="al", display_name="Al", period="2025-03"
        )
        await uow.elections.audit(community_id, past.id, "announced", detail={"winners": ["al"]})
    now = await open_election(database, community_id, "now", method="ranked", created_by="al")
    assert now is not None
    async with database.transaction() as uow:
        nominate = uow.elections.nominate
        await nominate(now.id, nominee_id="bo", nominee_name="Bo", nominator_id="al", reason="fun")
        await nominate(now.id, nominee_id="al", nominee_name="Al", nominator_id="cy", reason="wow")
        await nominate(now.id, nominee_id="dee", nominee_name="Dee", nominator_id="cy", reason="hi")
        await uow.elections.audit(
            community_id, now.id, "nominated", actor_id="al", detail={"nominee": "bo"}
        )
        await uow.elections.move(now.id, "nominating", "voting", candidates=("al", "bo", "dee"))
        for voter, ranking in (("al", ("bo",)), ("cy", ("al",)), ("dee", ("al", "bo"))):
            await uow.elections.cast(now.id, voter_key(secret, now.id, voter), ranking)
    return past.id, now.id, secret


async def test_a_members_election_records_are_exported(
    database: Database, community_id: int
) -> None:
    await erasure_scene(database, community_id)
    async with database.read() as uow:
        nominations = await uow.elections.member_data("nominations", community_id, "al")
        ballots = await uow.elections.member_data("ballots", community_id, "al")
        results = await uow.elections.member_data("results", community_id, "al")
        actions = await uow.elections.member_data("actions", community_id, "al")
    assert [(n["nominee"], n["reason"], n["made_by_you"]) for n in nominations] == [
        ("Al", "kind", False),
        ("Bo", "fun", True),
        ("Bo", "fun", True),
        ("Al", "wow", False),
    ]
    assert "cy" not in str(nominations)  # who nominated them is not theirs to know
    assert [(b["ranking"], b["round"]) for b in ballots] == [(["bo"], 0)]
    assert results == [
        {"period": "2025-03", "round": 0, "phase": "announced", "first_round_votes": 2, "won": True}
    ]
    assert [a["action"] for a in actions] == ["nominated"]
    async with database.read() as uow:
        assert await uow.elections.member_data("ballots", community_id, "zed") == []
        assert await uow.elections.member_data("results", community_id, "cy") == []


async def test_erasing_a_member_keeps_every_count(database: Database, community_id: int) -> None:
    past, now, secret = await erasure_scene(database, community_id)
    async with database.read() as uow:
        before = await uow.elections.get(past)
        past_ballots = await uow.elections.ballots(past)
    assert before is not None and before.result is not None

    async with database.transaction() as uow:
        erased = {
            what: await uow.elections.erase_member_data(what, community_id, "al")
            for what in ("nominations", "results", "actions")
        }
    # Two nominations of Al and the one Al made in the past election went; the one Al
    # made in the running election stays, without Al or the reason.
    assert erased == {"nominations": 4, "results": 1, "actions": 1}
    async with database.read() as uow:
        running = await uow.elections.get(now)
        running_nominations = await uow.elections.nominations(now)
        running_ballots = await uow.elections.ballots(now)
        al_ballot = await uow.elections.vote_of(now, voter_key(secret, now, "al"))
        cy_ballot = await uow.elections.vote_of(now, voter_key(secret, now, "cy"))
        finished = await uow.elections.get(past)
        finished_ballots = await uow.elections.ballots(past)
        [winner] = await uow.elections.winners(community_id)
        audit = await uow.elections.audit_log(community_id)
        leftovers = {
            what: await uow.elections.member_data(what, community_id, "al")
            for what in ("nominations", "ballots", "results", "actions")
        }
        assert await uow.elections.nominations(past) == []
    assert running is not None and finished is not None and finished.result is not None

    # The running vote: Al is no longer a candidate; Cy's ballot named only Al and is
    # withdrawn, Dee's moves on to Bo; Al's own ballot still counts, once.
    assert running.candidates == ("bo", "dee")
    assert [(n.nominee_id, n.reason) for n in running_nominations] == [("bo", ""), ("dee", "hi")]
    assert is_former_member(running_nominations[0].nominator_id)
    assert sorted(running_ballots) == [("bo",), ("bo",)]
    assert al_ballot is not None and al_ballot.ranking == ("bo",)
    assert cy_ballot is None
    assert running.created_by is None

    # The finished election: the same count under a pseudonym, in every record.
    [former] = finished.result["winners"]
    assert is_former_member(former) and former != "al"
    assert finished.candidates == (former, "bo")
    assert finished.result == {
        **before.result,
        "winners": [former],
        "rounds": [{former: 2, "bo": 1}],
    }
    renamed = [tuple(former if c == "al" else c for c in b) for b in past_ballots]
    assert finished_ballots == renamed
    assert count("single", finished_ballots, finished.candidates).winners == (former,)
    assert (winner.member_id, winner.display_name, winner.period) == (former, "", "2025-03")
    assert "'al'" not in str([(e.actor_id, e.detail) for e in audit])
    assert [e.action for e in audit] == ["announced", "nominated", "candidate_withdrawn"]
    assert leftovers == {
        "nominations": [],
        "ballots": leftovers["ballots"],
        "results": [],
        "actions": [],
    }
    assert len(leftovers["ballots"]) == 1  # kept, under its key, until the announcement
