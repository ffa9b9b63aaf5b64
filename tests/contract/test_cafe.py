"""The café repository on every backend: taking part, exclusions, rounds once, answers, erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.features.cafe import cafe_stats
from bot.storage import Database, InteractionWriter
from bot.storage.cafe import Cafes, CafeSpace, NewGroup, pseudonym
from tests.contract.conftest import T0, at, clock_of, message_row

pytestmark = [pytest.mark.cafe, pytest.mark.storage]


async def seen(database: Database, community_id: int, *members: str) -> None:
    async with database.transaction() as uow:
        for member in members:
            await uow.members.upsert_seen(community_id, member, member.title())


async def test_joining_leaving_snoozing_and_who_is_pairable(
    database: Database, community_id: int
) -> None:
    await seen(database, community_id, "ann", "bob", "cat", "dan")
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        assert await cafes.join(community_id, "ann")
        assert not await cafes.join(community_id, "ann")
        for member in ("bob", "cat", "dan", "ghost"):
            await cafes.join(community_id, member)
        assert await cafes.leave(community_id, "bob")
        assert not await cafes.leave(community_id, "bob")
        assert await cafes.snooze(community_id, "cat", at(60))
        assert not await cafes.snooze(community_id, "bob", at(60))
        await uow.members.mark_left(community_id, "dan", at(1))
    async with database.read() as uow:
        cafes = uow.repository(Cafes)
        # bob left the cafés, cat snoozes, dan left the community, ghost was never seen.
        assert await cafes.pairable(community_id, at(2)) == ["ann"]
        assert await cafes.pairable(community_id, at(60)) == ["ann", "cat"]
        participant = await cafes.participant(community_id, "cat")
        assert participant is not None and participant.snoozed_until == at(60)
        assert await cafes.participant(community_id, "nobody") is None


async def test_exclusions_are_pairs_added_once_and_undone(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        assert await cafes.avoid(community_id, "ann", "bob")
        assert not await cafes.avoid(community_id, "ann", "bob")
        assert await cafes.avoid(community_id, "cat", "ann")
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        assert await cafes.avoided(community_id) == {
            frozenset(("ann", "bob")),
            frozenset(("ann", "cat")),
        }
        assert await cafes.unavoid(community_id, "ann", "bob")
        assert not await cafes.unavoid(community_id, "ann", "bob")
        assert await cafes.avoided(community_id) == {frozenset(("ann", "cat"))}


async def test_a_round_is_recorded_once_and_its_checkin_sent_once(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        round_id = await cafes.start_round(community_id, T0, seed=2**32 - 1, checkin_due=at(60))
        assert round_id is not None
        assert await cafes.start_round(community_id, T0, seed=1, checkin_due=at(60)) is None
        await cafes.add_group(
            community_id,
            round_id,
            1,
            ["ann", "bob"],
            contacts={frozenset(("ann", "bob"))},
            starter="s1",
            interest="rust",
        )
        await cafes.add_group(
            community_id,
            round_id,
            2,
            ["cat", "dan", "eve"],
            contacts=(),
            starter=None,
            interest=None,
        )
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        assert await cafes.due_checkins(community_id, at(59)) == []
        assert await cafes.due_checkins(community_id, at(60)) == [round_id]
        assert await cafes.mark_checkin_sent(round_id)
        assert not await cafes.mark_checkin_sent(round_id)
        assert await cafes.due_checkins(community_id, at(61)) == []
        groups = await cafes.groups(community_id)
        assert [(g.number, g.members, g.had_contact, g.interest) for g in groups] == [
            (1, ("ann", "bob"), True, "rust"),
            (2, ("cat", "dan", "eve"), False, None),
        ]
        assert await cafes.recent_pairs(community_id, 1) == {
            frozenset(("ann", "bob")),
            frozenset(("cat", "dan")),
            frozenset(("cat", "eve")),
            frozenset(("dan", "eve")),
        }
        assert await cafes.recent_pairs(community_id, 0) == set()
        [round_] = await cafes.rounds(community_id)
        assert round_.checkin_sent_at == T0


async def test_answers_reset_the_silence_and_three_silent_rounds_ask_to_stay(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    async with database.transaction() as uow:
        for member in ("ann", "bob"):
            await uow.repository(Cafes).join(community_id, member)
    for week in range(3):
        async with database.transaction() as uow:
            cafes = uow.repository(Cafes)
            round_id = await cafes.start_round(
                community_id, at(week * 100), seed=week, checkin_due=at(week * 100)
            )
            assert round_id is not None
            group_id = await cafes.add_group(
                community_id, round_id, 1, ["ann", "bob"], contacts=(), starter=None, interest=None
            )
            await cafes.mark_checkin_sent(round_id)
            if week == 0:
                assert not await cafes.answer(community_id, group_id, "cat", "met")
                assert await cafes.answer(community_id, group_id, "bob", "met")
        async with database.transaction() as uow:
            asked = await uow.repository(Cafes).tally_unanswered(community_id, limit=3)
            # Tallying again counts nothing twice.
            assert await uow.repository(Cafes).tally_unanswered(community_id, limit=3) == []
        assert asked == (["ann"] if week == 2 else [])
    await clock.set(at(400))
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        ann = await cafes.participant(community_id, "ann")
        bob = await cafes.participant(community_id, "bob")
        assert ann is not None and ann.unanswered == 3 and ann.stay_asked_at is not None
        assert bob is not None and bob.unanswered == 2 and bob.stay_asked_at is None
    # The question is handed out once, whenever it may be sent (after quiet hours).
    async with database.transaction() as uow:
        assert await uow.repository(Cafes).take_stay_questions(community_id) == ["ann"]
        assert await uow.repository(Cafes).take_stay_questions(community_id) == []
    # Asked to stay: not paired until they answer; joining again answers.
    await seen(database, community_id, "ann", "bob")
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        assert await cafes.pairable(community_id, at(400)) == ["bob"]
        assert await cafes.join(community_id, "ann")
        assert await cafes.pairable(community_id, at(400)) == ["ann", "bob"]
    with pytest.raises(ValueError, match="answer must be one of"):
        async with database.transaction() as uow:
            await uow.repository(Cafes).answer(community_id, 1, "ann", "maybe")


async def test_replies_and_reactions_between_two_people_are_read_from_the_log(
    database: Database, community_id: int
) -> None:
    writer = InteractionWriter(database, batch_size=10)
    await writer.start()
    rows = [
        message_row(community_id, "e1", member="ann", message_id="m1"),
        message_row(community_id, "e2", member="bob", kind="reply", reply_to="m1", minutes=5),
        message_row(community_id, "e3", member="ann", kind="reply", reply_to="m1", minutes=6),
        message_row(community_id, "e4", member="robot", kind="reply", reply_to="m1", bot=True),
        message_row(community_id, "e5", member="cat", message_id="m5", minutes=10),
    ]
    rows.append(
        message_row(community_id, "e6", member="dan", kind="reaction", message_id="m5", minutes=20)
    )
    for row in rows:
        await writer.submit(row)
    await writer.stop()
    async with database.read() as uow:
        cafes = uow.repository(Cafes)
        found = await cafes.interaction_pairs(community_id, T0)
        assert sorted((a, b) for a, b, _ in found) == [("bob", "ann"), ("dan", "cat")]
        assert await cafes.interaction_pairs(community_id, at(30)) == []
        only = await cafes.interaction_pairs(community_id, T0, members={"dan"})
        assert [(a, b) for a, b, _ in only] == [("dan", "cat")]


async def test_erasure_pseudonymises_seats_and_retention_purges_rounds(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        old = await cafes.start_round(community_id, T0, seed=1, checkin_due=at(1))
        await clock.set(at(60 * 24 * 10))
        new = await cafes.start_round(community_id, at(60 * 24 * 10), seed=2, checkin_due=at(1))
        assert old is not None and new is not None
        for round_id in (old, new):
            await cafes.add_group(
                community_id, round_id, 1, ["ann", "bob"], contacts=(), starter=None, interest=None
            )
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        assert await cafes.seat_count(community_id, "ann") == 2
        history = await cafes.seat_history(community_id, "bob")
        assert [entry["with"] for entry in history] == [["ann"], ["ann"]]
        assert await cafes.pseudonymise(community_id, "ann") == 2
        assert await cafes.seat_count(community_id, "ann") == 0
        history = await cafes.seat_history(community_id, "bob")
        assert [entry["with"] for entry in history] == [[pseudonym(community_id, "ann")]] * 2
        # The pair still counts as met: a repeat is still avoided.
        assert frozenset(("bob", pseudonym(community_id, "ann"))) in await cafes.recent_pairs(
            community_id, 2
        )
        assert await cafes.purge_before(community_id, at(60 * 24 * 5)) == 2
        assert [r.id for r in await cafes.rounds(community_id)] == [new]


async def test_stats_count_meetings_repeats_and_new_connections(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        first = await cafes.start_round(community_id, T0, seed=1, checkin_due=at(1))
        assert first is not None
        g1 = await cafes.add_group(
            community_id, first, 1, ["ann", "bob"], contacts=(), starter=None, interest=None
        )
        await cafes.add_group(
            community_id, first, 2, ["cat", "dan"], contacts=(), starter=None, interest=None
        )
        await cafes.mark_checkin_sent(first)
        await cafes.answer(community_id, g1, "ann", "met")
        await clock.set(at(60 * 24 * 7))
        second = await cafes.start_round(community_id, at(60 * 24 * 7), seed=2, checkin_due=at(1))
        assert second is not None
        await cafes.add_group(
            community_id, second, 1, ["ann", "bob"], contacts=(), starter=None, interest=None
        )
    writer = InteractionWriter(database, batch_size=10)
    await writer.start()
    # After the first café, bob replies to ann: a new connection. cat and dan never talk.
    await writer.submit(message_row(community_id, "x1", member="ann", message_id="a1", minutes=30))
    await writer.submit(
        message_row(community_id, "x2", member="bob", kind="reply", reply_to="a1", minutes=40)
    )
    await writer.stop()
    await clock.set(T0 + timedelta(days=40))
    async with database.read() as uow:
        stats = await cafe_stats(uow, community_id)
    assert (stats.rounds, stats.groups, stats.checked, stats.met) == (2, 3, 2, 1)
    assert stats.repeats == 1
    # ann-bob (first round) connected; cat-dan did not; ann-bob again had talked before.
    assert (stats.strangers, stats.connected) == (2, 1)


async def test_spaces_are_archived_after_the_checkin_and_recorded_once(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        round_id = await cafes.start_round(community_id, T0, seed=1, checkin_due=at(60))
        assert round_id is not None
        in_space, in_channel = await cafes.add_groups(
            community_id,
            round_id,
            [
                NewGroup(number=1, members=("ann", "bob")),
                NewGroup(number=2, members=("cat", "dan")),
            ],
            contacts=(),
            pending=True,
        )
        assert await cafes.introduce(in_space, space_channel_id="c1", space_thread_id="t1")
        assert await cafes.introduce(in_channel, space_channel_id=None, space_thread_id=None)
        # No check-in sent yet: nothing to archive.
        assert await cafes.spaces_to_archive(community_id, at(10_000)) == []
    await clock.set(at(60))
    async with database.transaction() as uow:
        assert await uow.repository(Cafes).mark_checkin_sent(round_id)
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        assert await cafes.spaces_to_archive(community_id, at(59)) == []
        assert await cafes.spaces_to_archive(community_id, at(60)) == [
            CafeSpace(group_id=in_space, channel_id="c1", thread_id="t1")
        ]
        assert await cafes.mark_archived(in_space)
        assert not await cafes.mark_archived(in_space)
        assert await cafes.spaces_to_archive(community_id, at(10_000)) == []


async def test_a_groups_space_is_claimed_by_one_owner_until_its_lease_lapses(
    database: Database, community_id: int
) -> None:
    clock = clock_of(database)
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        round_id = await cafes.start_round(community_id, T0, seed=1, checkin_due=at(60))
        assert round_id is not None
        [group_id] = await cafes.add_groups(
            community_id,
            round_id,
            [NewGroup(number=1, members=("ann", "bob"))],
            contacts=(),
            pending=True,
        )
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        assert await cafes.claim_space(group_id, "a", at(5)) == 1
        assert await cafes.claim_space(group_id, "b", at(5)) is None  # a's lease runs
        await cafes.release_space(group_id, "b", opened=False)  # not b's to release
        assert await cafes.claim_space(group_id, "b", at(5)) is None
        await cafes.release_space(group_id, "a", opened=False)  # a's call failed: no space
        assert await cafes.claim_space(group_id, "b", at(5)) == 1
    await clock.set(at(5))
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        # b died: its lease lapsed; the next claim counts b's attempt.
        assert await cafes.claim_space(group_id, "a", at(10)) == 2
        assert await cafes.introduce(group_id, space_channel_id="c1", space_thread_id=None)
        assert await cafes.claim_space(group_id, "b", at(20)) is None  # introduced
