"""The icebreaker repository on every backend: uniqueness, compare-and-set, outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from bot.activity import Level, Thresholds
from bot.features.icebreaker import Candidate, Contact, Rules, refresh_outcomes, select
from bot.storage import Database, InteractionWriter, rotation_order
from bot.storage.models import ActivityDailyRow
from tests.contract.conftest import T0, at, clock_of, message_row

pytestmark = [pytest.mark.icebreaker, pytest.mark.storage]

DAY = timedelta(days=1)


async def test_an_invitation_is_recorded_once_per_nonce(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        assert await uow.icebreaker.record(
            community_id, "ann", kind="invitation", nonce="run1:ann", prompt="q1", level="quiet"
        )
        assert not await uow.icebreaker.record(
            community_id, "ann", kind="invitation", nonce="run1:ann"
        )
        assert await uow.icebreaker.record(community_id, "ann", kind="welcome", nonce="w:ann")
    async with database.read() as uow:
        rows = await uow.icebreaker.invitations(community_id)
        assert [(r.kind, r.prompt, r.level, r.sent_at) for r in rows] == [
            ("invitation", "q1", "quiet", T0),
            ("welcome", None, None, T0),
        ]
        assert len(await uow.icebreaker.invitations(community_id, "welcome")) == 1


async def test_welcomes_are_planned_once_and_finished_once(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        assert await uow.icebreaker.add_welcome(community_id, "nina", joined_at=T0, due_at=at(10))
        assert not await uow.icebreaker.add_welcome(
            community_id, "nina", joined_at=at(60), due_at=at(70)
        )
        await uow.icebreaker.add_welcome(community_id, "noah", joined_at=T0, due_at=at(30))
    async with database.read() as uow:
        assert await uow.icebreaker.due_welcomes(community_id, at(9)) == []
        [due] = await uow.icebreaker.due_welcomes(community_id, at(10))
        assert (due.member_id, due.status) == ("nina", "pending")
        assert await uow.icebreaker.pending_welcomes(community_id) == {"nina", "noah"}
    async with database.transaction() as uow:
        assert await uow.icebreaker.finish_welcome(community_id, "nina", "sent")
        assert not await uow.icebreaker.finish_welcome(community_id, "nina", "skipped")
    async with database.read() as uow:
        welcome = await uow.icebreaker.welcome(community_id, "nina")
        assert welcome is not None and welcome.status == "sent"


async def test_outcomes_read_the_log(database: Database, community_id: int) -> None:
    writer = InteractionWriter(database, batch_size=10)
    await writer.start()
    for row in (
        message_row(community_id, "e1", member="ann", minutes=30),
        message_row(community_id, "e2", member="ann", minutes=90, bot=True),
        message_row(community_id, "e3", member="bea", minutes=10, kind="reaction"),
        message_row(community_id, "e4", member="bea", minutes=5, kind="command"),
    ):
        await writer.submit(row)
    await writer.stop()
    async with database.read() as uow:
        first = uow.icebreaker.first_activity
        assert await first(community_id, "ann", at(0), at(60)) == at(30)
        assert await first(community_id, "ann", at(31), at(600)) is None  # bots do not count
        assert await first(community_id, "bea", at(0), at(60)) == at(10)
        assert await first(community_id, "bea", at(0), at(9)) is None  # commands do not count
        # Many windows at once (one statement on PostgreSQL), answered in their order.
        windows = [
            ("bea", at(0), at(60)),
            ("ann", at(31), at(600)),
            ("ann", at(0), at(60)),
            ("zoe", at(0), at(600)),
            ("bea", at(0), at(9)),
        ]
        assert await uow.icebreaker.first_activities(community_id, windows) == [
            at(10),
            None,
            at(30),
            None,
            None,
        ]
        assert await uow.icebreaker.first_activities(community_id, []) == []
        channels = await uow.icebreaker.channels_of(community_id, ["ann", "bea"], at(0))
        assert channels == {"ann": {"general"}, "bea": {"general"}}


async def test_refreshing_outcomes_reads_every_window(
    database: Database, community_id: int
) -> None:
    c = community_id
    day = 24 * 60
    now = at(31 * day)
    async with database.transaction() as uow:
        for member in ("ann", "bea", "cy", "dee"):
            await uow.icebreaker.record(c, member, kind="invitation", nonce=member, at=at(0))
        await uow.icebreaker.record(c, "eve", kind="invitation", nonce="eve", at=now - DAY)
    writer = InteractionWriter(database, batch_size=10)
    await writer.start()
    for row in (
        message_row(c, "a1", member="ann", minutes=30),  # answered, then quiet
        message_row(c, "b1", member="bea", minutes=25 * day),  # too late to answer, stayed
        message_row(c, "d1", member="dee", minutes=3 * day),
        message_row(c, "d2", member="dee", minutes=24 * day),
        message_row(c, "e1", member="eve", minutes=31 * day - 120),  # too soon to tell more
    ):
        await writer.submit(row)
    await writer.stop()

    async with database.transaction() as uow:
        assert await refresh_outcomes(uow, c, now) == 5
    async with database.read() as uow:
        outcomes = {
            invitation.member_id: (invitation.responded_at, invitation.retained)
            for invitation in await uow.icebreaker.invitations(c)
        }
        still_open = [invitation.member_id for invitation in await uow.icebreaker.open_outcomes(c)]
    assert outcomes == {
        "ann": (at(30), False),
        "bea": (None, True),
        "cy": (None, False),
        "dee": (at(3 * day), True),
        "eve": (now - timedelta(minutes=120), None),
    }
    assert still_open == ["eve"]


async def test_interests_and_champions(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        await uow.icebreaker.set_interests(community_id, "ann", ["tools", "fun", "tools"])
        await uow.icebreaker.set_interests(community_id, "bea", ["fun"])
        await uow.icebreaker.set_interests(community_id, "bea", [])
        assert await uow.icebreaker.set_champion(community_id, "ann", True)
        assert not await uow.icebreaker.set_champion(community_id, "ann", True)
        assert await uow.icebreaker.set_champion(community_id, "bea", True)
        assert await uow.icebreaker.set_champion(community_id, "bea", False)
        assert not await uow.icebreaker.set_champion(community_id, "bea", False)
    async with database.read() as uow:
        assert await uow.icebreaker.interests(community_id) == {"ann": {"tools", "fun"}}
        assert await uow.icebreaker.champions(community_id) == ["ann"]


async def test_champion_requests_and_weekly_counts(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        queue = uow.icebreaker.add_request
        assert await queue(
            community_id, subject_id="nina", message_id="m1", channel_id="c", reason="first_post"
        )
        assert not await queue(
            community_id, subject_id="nina", message_id="m1", channel_id="c", reason="first_post"
        )
        assert await queue(
            community_id, subject_id="noah", message_id="m2", channel_id="c", reason="quiet_return"
        )
        assert await uow.icebreaker.has_request_since(community_id, "nina", at(-1))
        assert not await uow.icebreaker.has_request_since(community_id, "nina", at(1))
    async with database.transaction() as uow:
        first, second = await uow.icebreaker.requests(community_id, status="pending")
        assert await uow.icebreaker.finish_request(first.id, status="sent", champion_id="ann")
        assert not await uow.icebreaker.finish_request(first.id, status="sent", champion_id="bo")
        assert await uow.icebreaker.finish_request(second.id, status="no_champion")
    await clock_of(database).advance(timedelta(days=8))
    async with database.transaction() as uow:
        assert await uow.icebreaker.add_request(
            community_id, subject_id="zoe", message_id="m3", channel_id="c", reason="first_post"
        )
        [pending] = await uow.icebreaker.requests(community_id, status="pending")
        await uow.icebreaker.finish_request(pending.id, status="sent", champion_id="ann")
        await uow.icebreaker.set_request_status(pending.id, "dm_closed")
    async with database.read() as uow:
        assert await uow.icebreaker.sent_since(community_id, at(0)) == {"ann": 1}
        assert await uow.icebreaker.sent_since(community_id, at(60 * 24 * 9)) == {}
        assert await uow.icebreaker.last_sent(community_id) == {"ann": T0}


async def test_erasure_keeps_the_opt_out(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        await uow.icebreaker.record(community_id, "ann", kind="invitation", nonce="n1")
        await uow.icebreaker.add_welcome(community_id, "ann", joined_at=T0, due_at=T0)
        await uow.icebreaker.set_interests(community_id, "ann", ["fun"])
        await uow.icebreaker.set_champion(community_id, "ann", True)
        await uow.optouts.add(community_id, "ann", "tagging")
        await uow.icebreaker.erase_member(community_id, "ann")
    async with database.read() as uow:
        assert await uow.icebreaker.invitations(community_id) == []
        assert await uow.icebreaker.welcome(community_id, "ann") is None
        assert await uow.icebreaker.interests(community_id) == {}
        assert await uow.icebreaker.champions(community_id) == []
        assert await uow.optouts.has(community_id, "ann", "tagging")


async def test_ritual_posts_are_read_from_the_outbox(database: Database, community_id: int) -> None:
    async with database.transaction() as uow:
        for nonce, job in (("a", "posts:k:tip"), ("b", "posts:k:question"), ("c", "other:k")):
            row = await uow.outbox.add(
                community_id=community_id,
                nonce=nonce,
                channel_id="general",
                thread_id=None,
                payload={},
                job_id=job,
                scheduled_for=None,
            )
            if nonce != "b":
                await uow.outbox.mark_sent(row, f"m-{nonce}", None)
    async with database.read() as uow:
        posts = await uow.icebreaker.ritual_posts(community_id, "posts:k:", at(-1))
        assert posts == [("posts:k:tip", "m-a", "general")]
        assert await uow.icebreaker.ritual_posts(community_id, "posts:k:", at(1)) == []


async def test_the_shortlist_orders_like_select(database: Database, community_id: int) -> None:
    thresholds = Thresholds(new_days=7, window_days=30, core_days=5, active_days=3)
    today = T0.date()
    async with database.transaction() as uow:
        for n in range(30):
            joined = at(-60 * 24 * (400 if n % 6 else 3))
            await uow.members.upsert_seen(community_id, f"m{n:02}", f"M{n}", joined_at=joined)
            if n % 4 == 0:
                kind = "welcome" if n % 8 == 0 else "invitation"
                for k in range(n % 3 + 1):
                    await uow.icebreaker.record(
                        community_id,
                        f"m{n:02}",
                        kind=kind,
                        nonce=f"{n}-{k}",
                        at=at(-60 * 24 * (40 + n + 5 * k)),
                    )
        await uow.icebreaker.record(community_id, "m05", kind="invitation", nonce="r", at=at(-60))
        await uow.optouts.add(community_id, "m07", "tagging")
        await uow.icebreaker.add_welcome(community_id, "m09", joined_at=T0, due_at=at(10))
        await uow.connection.execute(
            insert(ActivityDailyRow),
            [
                {
                    "community_id": community_id,
                    "member_id": f"m{n:02}",
                    "day": today - timedelta(days=ago),
                    "messages": 1,
                    "replies": 0,
                    "reactions": 0,
                    "other": 0,
                }
                for n in range(30)
                if n % 5
                for ago in _active_days(n)
            ],
        )
    rules = Rules(
        max_invitees=30,
        cooldown=timedelta(days=14),
        max_unanswered=99,
        pause=timedelta(days=1),
        invite_levels=frozenset({Level.NEW, Level.OCCASIONAL, Level.QUIET, Level.NEVER_SPOKE}),
    )
    seed = 12345
    async with database.read() as uow:
        standings = await uow.activity.standings(community_id, today, thresholds)
        contacts = await uow.icebreaker.contacts(community_id)
        shortlist = await uow.icebreaker.shortlist(
            community_id,
            uow.activity.levels_query(community_id, today, thresholds),
            invite_levels=[level.value for level in rules.invite_levels],
            contacted_before=T0 - rules.cooldown,
            skip_awaiting_welcome=True,
            seed=seed,
            limit=100,
        )
        opted_out = await uow.optouts.members(community_id, "tagging")
        awaiting = await uow.icebreaker.pending_welcomes(community_id)
    history: dict[str, list[Contact]] = {}
    for member, kind, sent_at, responded_at in contacts:
        history.setdefault(member, []).append(
            Contact(kind=kind, sent_at=sent_at, responded_at=responded_at)
        )
    selection = select(
        [
            Candidate(member_id=m, display_name=n, level=level, order=rotation_order(key, seed))
            for m, n, level, key in standings
        ],
        history,
        rules=rules,
        now=T0,
        opted_out=opted_out,
        awaiting_welcome=awaiting,
    )
    expected = [v.candidate.member_id for v in selection.chosen]
    assert [row[0] for row in shortlist] == expected
    assert {"m05", "m07", "m09"}.isdisjoint(expected)
    assert len(expected) >= 10
    assert len({row[2] for row in shortlist}) == 4  # new, never spoke, quiet, occasional


def _active_days(n: int) -> range:
    """Days (ago) member n was active: quiet, occasional, or core and active ones."""
    if n % 3 == 0:
        return range(35, 40)
    if n % 7 == 0:
        return range(2, 3)
    return range(n % 9, 40, 1 + n % 4)
