"""The election repository on every backend: uniqueness lives in the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.features.election import voter_key
from bot.storage import Database, ElectionRecord
from tests.contract.conftest import T0, at


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


async def test_erasing_a_member_keeps_every_count(database: Database, community_id: int) -> None:
    past = await open_election(database, community_id, "past")
    assert past is not None
    async with database.transaction() as uow:
        secret = await uow.elections.secret(community_id)
        await uow.elections.nominate(
            past.id, nominee_id="al", nominee_name="Al", nominator_id="cy", reason="kind"
        )
        await uow.elections.add_winner(
            past.id, community_id=community_id, member_id="al", display_name="Al", period="2025-02"
        )
        await uow.elections.move(past.id, "nominating", "announced")
    current = await open_election(database, community_id, "now")
    assert current is not None
    async with database.transaction() as uow:
        await uow.elections.nominate(
            current.id, nominee_id="bo", nominee_name="Bo", nominator_id="al", reason="fun"
        )
        await uow.elections.nominate(
            current.id, nominee_id="bo", nominee_name="Bo", nominator_id="cy", reason="wise"
        )
        await uow.elections.move(current.id, "nominating", "voting", candidates=("bo",))
        for member in ("al", "cy"):
            await uow.elections.cast(current.id, voter_key(secret, current.id, member), ("bo",))
        await uow.elections.audit(community_id, current.id, "nominated", actor_id="al")

    async with database.transaction() as uow:
        erased = await uow.elections.erase_member(community_id, "al")
    assert erased == {"ballots_unlinked": 1, "nominations": 2, "winners": 1, "audit_entries": 1}
    async with database.read() as uow:
        assert await uow.elections.ballots(current.id) == [("bo",), ("bo",)]  # still counted
        assert await uow.elections.vote_of(current.id, voter_key(secret, current.id, "al")) is None
        assert await uow.elections.vote_of(current.id, voter_key(secret, current.id, "cy"))
        assert [n.nominator_id for n in await uow.elections.nominations(current.id)] == ["cy"]
        assert await uow.elections.winners(community_id) == []
        assert [e.actor_id for e in await uow.elections.audit_log(community_id)] == [None]
