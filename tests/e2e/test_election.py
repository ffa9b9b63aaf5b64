"""Member of the month end to end: a whole cycle on the manual clock through the fake platform."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.analytics import Period
from bot.domain import Member, MemberLeft, Post
from bot.features.election._metrics import election_figures
from bot.features.report._service import scope_for
from bot.ports import Forbidden
from bot.storage.election import ElectionRow, VoteRow
from bot.storage.models import InteractionLogRow, OutboxRow
from tests import fakes
from tests.e2e import conftest
from tests.e2e.conftest import KEY, Terreau, next_id

JOINED = datetime(2026, 10, 1, tzinfo=UTC)
ALICE = Member(id="alice", display_name="Alice", joined_at=JOINED)
BOB = Member(id="bob", display_name="Bob", joined_at=JOINED)
CAROL = Member(id="carol", display_name="Carol", joined_at=JOINED)
DAN = Member(id="dan", display_name="Dan", joined_at=JOINED)
MOD = Member(id="mod", display_name="Mo", is_admin=True, joined_at=JOINED)
NEWBIE = Member(id="newbie", display_name="Newbie", joined_at=datetime(2026, 11, 30, tzinfo=UTC))
ROBOT = Member(id="robot", display_name="Robot", is_bot=True, joined_at=JOINED)

# Nominations open Tuesday 1 December 2026 at 09:00 in Paris (08:00 UTC), for 48 hours,
# then voting for 48 hours.
OPENS = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
VOTING = OPENS + timedelta(hours=48)
CLOSES = VOTING + timedelta(hours=48)


def election(**rules: object) -> str:
    lines = [
        "[communities.election]",
        "enabled = true",
        'opens = "0 9 1 * *"',
        "nomination_hours = 48",
        "voting_hours = 48",
        "min_tenure_days = 7",
    ]
    for key, value in rules.items():
        shown = f'"{value}"' if isinstance(value, str) else str(value).lower()
        lines.append(f"{key} = {shown}")
    return "\n" + "\n".join(lines) + "\n"


async def start(terreau: Terreau, **rules: object) -> None:
    await terreau.start(extra=election(**rules))
    for member in (ALICE, BOB, CAROL, DAN, MOD):
        await terreau.say(member, text="hello")


def answers(terreau: Terreau, member: Member) -> list[str]:
    return [
        item.post.plain_text()
        for item in terreau.platform.sent
        if item.kind == "respond" and item.member_id == member.id
    ]


def last_answer(terreau: Terreau, member: Member) -> str:
    return answers(terreau, member)[-1]


def election_posts(terreau: Terreau) -> list[Post]:
    return [
        p
        for p in terreau.platform.posts()
        if "Member of the month" in p.plain_text() or "tie" in p.plain_text()
    ]


def ballot(terreau: Terreau) -> Post:
    return next(p for p in reversed(terreau.platform.posts()) if p.choices)


async def nominate(terreau: Terreau, who: Member, nominee: str, reason: str) -> None:
    await terreau.command(who, "election", "nominate", nominee, *reason.split())


async def nominations_of(terreau: Terreau, *pairs: tuple[Member, str, str]) -> None:
    for who, nominee, reason in pairs:
        await nominate(terreau, who, nominee, reason)


async def rows(terreau: Terreau, table: Any) -> list[Any]:
    assert terreau.app is not None
    async with terreau.app.database.read() as uow:
        return list((await uow.connection.execute(select(table.__table__))).all())


async def test_a_whole_month_single_choice(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    opening = election_posts(terreau)[-1]
    assert "nominations are open" in opening.plain_text()

    await nominations_of(
        terreau,
        (ALICE, "bob", "Bob answers every newcomer's question"),
        (CAROL, "@bob", "Bob rewrote the docs"),
        (BOB, "<@carol>", "Carol runs the book club"),
    )
    assert last_answer(terreau, ALICE).startswith("You nominated Bob. Thank you!")
    await nominate(terreau, ALICE, "bob", "again")
    assert last_answer(terreau, ALICE) == (
        "You already nominated Bob in this election. You can nominate other members too."
    )
    await nominate(terreau, ALICE, "alice", "me")
    assert last_answer(terreau, ALICE) == (
        "You cannot nominate yourself, but someone else surely will!"
    )

    await terreau.at(VOTING)
    post = ballot(terreau)
    assert "voting is open" in post.plain_text()
    assert [c.label for c in post.choices] == ["Bob", "Carol"]
    bob_button, carol_button = (c.id for c in post.choices)
    assert bob_button.startswith("election:") and bob_button.endswith(":bob")

    await terreau.choose(ALICE, carol_button)
    await terreau.choose(ALICE, bob_button)  # a changed vote replaces the first
    assert last_answer(terreau, ALICE).startswith("Your vote for Bob is recorded.")
    await terreau.choose(CAROL, bob_button)
    await terreau.choose(BOB, bob_button)
    assert last_answer(terreau, BOB) == "You cannot vote for yourself. Pick someone else!"
    await terreau.choose(BOB, carol_button)
    await terreau.command(ALICE, "election", "receipt")
    assert last_answer(terreau, ALICE).startswith("Your vote is counted: Bob (last changed")
    await terreau.command(DAN, "election", "receipt")
    assert last_answer(terreau, DAN).startswith("You have not voted in this election.")
    await terreau.command(DAN, "election", "status")
    status = last_answer(terreau, DAN)
    assert "Nominees: Bob, Carol." in status
    assert "1" not in status.split("Nominees")[1].split("\n")[0]  # no running tally

    assert len(await rows(terreau, VoteRow)) == 3
    for vote in await rows(terreau, VoteRow):
        assert "alice" not in str(vote) and "bob" not in vote.voter_key

    await terreau.at(CLOSES)
    result = election_posts(terreau)[-1].plain_text()
    assert "Member of the month (2026-12): @Bob!" in result
    assert "> Bob answers every newcomer's question" in result
    assert "> Bob rewrote the docs" in result
    assert "Carol runs the book club" not in result
    assert "Thank you to every nominee: Bob, Carol." in result
    assert "3 members voted (60% of the 5 who could)." in result
    assert "alice" not in result.lower() and "Alice" not in result

    for vote in await rows(terreau, VoteRow):
        assert vote.voter_key is None
    await terreau.command(DAN, "election", "halloffame")
    assert "• 2026-12: Bob" in last_answer(terreau, DAN)

    assert terreau.app is not None
    community_id = terreau.app.community_id(KEY)
    async with terreau.app.database.read() as uow:
        actions = [entry.action for entry in await uow.elections.audit_log(community_id)]
        targets = [
            row.target
            for row in await uow.connection.execute(
                select(InteractionLogRow.__table__).where(InteractionLogRow.kind == "choice")
            )
        ]
    assert actions == [
        "opened",
        *["nominated"] * 3,
        "voting_opened",
        *["ballot_changed"] * 3,
        "ballot_refused",  # Bob's vote for himself: the reason is kept, never who
        "ballot_changed",
        "closed",
        "announced",
    ]
    assert targets and all(not t.endswith(("bob", "carol")) for t in targets)


async def test_ranked_choice_on_buttons_counts_instant_runoff(terreau: Terreau) -> None:
    await start(terreau, method="ranked")
    await terreau.at(OPENS)
    await nominations_of(
        terreau, (ALICE, "bob", "kind"), (BOB, "carol", "funny"), (CAROL, "dan", "wise")
    )
    await terreau.at(VOTING)
    buttons = {c.label: c.id for c in ballot(terreau).choices}
    assert list(buttons) == ["Bob", "Carol", "Dan", "Start over"]

    await terreau.choose(ALICE, buttons["Dan"])
    await terreau.choose(ALICE, buttons["Start over"])
    assert last_answer(terreau, ALICE).startswith("Your ranking is cleared")
    await terreau.choose(ALICE, buttons["Bob"])
    await terreau.choose(ALICE, buttons["Carol"])
    assert last_answer(terreau, ALICE).startswith("Your ranking so far: 1. Bob, 2. Carol.")
    # First choices: Bob 2 (Alice, Mo), Carol 1 (Dan), Dan 2 (Bob, Carol): no majority of 5.
    # Carol is eliminated and Dan's ballot goes to Bob: Bob 3, Dan 2.
    await terreau.choose(MOD, buttons["Bob"])
    await terreau.choose(DAN, buttons["Carol"])
    await terreau.choose(DAN, buttons["Bob"])
    await terreau.choose(BOB, buttons["Dan"])
    await terreau.choose(CAROL, buttons["Dan"])
    await terreau.command(DAN, "election", "receipt")
    assert last_answer(terreau, DAN).startswith("Your vote is counted: 1. Carol, 2. Bob")
    await terreau.at(CLOSES)
    assert "Member of the month (2026-12): @Bob!" in election_posts(terreau)[-1].plain_text()


async def tie(terreau: Terreau, **rules: object) -> tuple[str, str]:
    await start(terreau, **rules)
    await terreau.at(OPENS)
    await nominations_of(terreau, (ALICE, "bob", "kind"), (BOB, "carol", "funny"))
    await terreau.at(VOTING)
    bob_button, carol_button = (c.id for c in ballot(terreau).choices)
    await terreau.choose(ALICE, bob_button)
    await terreau.choose(DAN, carol_button)
    return bob_button, carol_button


async def test_a_tie_with_co_winners_shares_the_title(terreau: Terreau) -> None:
    await tie(terreau, tie_policy="co_winners")
    await terreau.at(CLOSES)
    result = election_posts(terreau)[-1].plain_text()
    assert "@Bob and @Carol!" in result
    assert "It was a tie, so they share the title." in result


async def test_a_tie_with_runoff_opens_a_24_hour_second_ballot(terreau: Terreau) -> None:
    await tie(terreau, tie_policy="runoff")
    await terreau.at(CLOSES)
    runoff = ballot(terreau)
    assert "It's a tie! A second round between Bob and Carol" in runoff.plain_text()
    bob_button = runoff.choices[0].id
    await terreau.choose(CAROL, bob_button)
    await terreau.at(CLOSES + timedelta(hours=23))
    assert not any("@Bob!" in p.plain_text() for p in terreau.platform.posts())
    await terreau.at(CLOSES + timedelta(hours=24))
    result = election_posts(terreau)[-1].plain_text()
    assert "Member of the month (2026-12): @Bob!" in result
    assert "> kind" in result
    assert "1 member voted" in result


async def test_a_tie_for_the_moderators_waits_for_their_decision(terreau: Terreau) -> None:
    await tie(terreau, tie_policy="moderators")
    await terreau.at(CLOSES)
    sent = terreau.platform.sent
    asked = [s for s in sent if s.kind == "send" and s.where and s.where.channel_id == "mods"]
    assert asked and "`/terreau election decide @member`" in asked[-1].post.plain_text()
    general = [
        s.post.plain_text()
        for s in sent
        if s.kind == "send" and s.where and s.where.channel_id == "general"
    ]
    assert "It's a tie between Bob and Carol! The moderators will decide" in general[-1]
    await terreau.command(ALICE, "election", "decide", "carol")
    assert (
        last_answer(terreau, ALICE)
        == "Only moderators can use `/terreau election decide <member>`."
    )
    await terreau.command(MOD, "election", "decide", "dan")
    assert last_answer(terreau, MOD) == "“dan” is not one of the tied nominees."
    await terreau.command(MOD, "election", "decide", "carol")
    result = election_posts(terreau)[-1].plain_text()
    assert "@Carol!" in result and "After a tie, the moderators chose." in result
    await terreau.command(MOD, "election", "decide", "carol")
    assert last_answer(terreau, MOD) == "There is no tie waiting for the moderators."


async def test_restart_between_voting_and_close_keeps_ballots_working(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominations_of(terreau, (ALICE, "bob", "kind"), (BOB, "carol", "funny"))
    await terreau.at(VOTING)
    bob_button, _ = (c.id for c in ballot(terreau).choices)
    await terreau.choose(ALICE, bob_button)
    await terreau.stop()

    await terreau.start(extra=election())
    await terreau.at(VOTING + timedelta(hours=1))
    await terreau.choose(CAROL, bob_button)  # a button from before the restart
    assert last_answer(terreau, CAROL).startswith("Your vote for Bob is recorded.")
    await terreau.at(CLOSES)
    assert "2 members voted" in election_posts(terreau)[-1].plain_text()


async def test_downtime_across_the_close_announces_once(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominations_of(terreau, (ALICE, "bob", "kind"), (BOB, "carol", "funny"))
    await terreau.at(VOTING)
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    await terreau.stop()

    await terreau.clock.set(CLOSES + timedelta(hours=30))
    await terreau.start(extra=election())
    assert "@Bob!" in election_posts(terreau)[-1].plain_text()
    await terreau.stop()
    await terreau.start(extra=election())
    await terreau.at(CLOSES + timedelta(days=3))
    assert not any("@Bob!" in p.plain_text() for p in terreau.platform.posts())
    results = [r for r in await rows(terreau, OutboxRow) if r.nonce.endswith(":result")]
    assert len(results) == 1 and results[0].status == "sent"


async def test_ineligible_voters_are_told_exactly_why(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await terreau.say(NEWBIE, text="hi")
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    bob_button = ballot(terreau).choices[0].id

    await terreau.choose(NEWBIE, bob_button)
    assert last_answer(terreau, NEWBIE) == (
        "You can take part once you have been a member for 7 days, from Monday 7 December. "
        "This keeps throwaway accounts out."
    )
    await terreau.choose(ROBOT, bob_button)
    assert last_answer(terreau, ROBOT) == "Bots do not take part in elections."
    quiet = Member(id="quiet", display_name="Quiet", joined_at=JOINED)
    await terreau.choose(quiet, bob_button)
    assert last_answer(terreau, quiet) == (
        "To take part you need at least 1 message or reaction here in the last 30 days "
        "(you have 0). This keeps throwaway accounts out."
    )
    await terreau.command(quiet, "election", "vote")
    assert last_answer(terreau, quiet).startswith("To take part you need at least 1 message")
    await terreau.command(DAN, "election", "vote")
    private = [s for s in terreau.platform.sent if s.kind == "respond" and s.member_id == "dan"]
    assert private[-1].private and [c.label for c in private[-1].post.choices] == ["Bob"]
    await terreau.command(BOB, "election", "vote")  # Bob's own ballot leaves him out
    private = [s for s in terreau.platform.sent if s.kind == "respond" and s.member_id == "bob"]
    assert private[-1].post.choices == ()


async def test_ineligible_nominees_are_told_exactly_why(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.say(ROBOT, text="beep")
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "robot", "efficient")
    assert last_answer(terreau, ALICE) == "Robot is a bot: bots cannot be member of the month."
    terreau.platform.members[KEY] = {"mod": MOD}
    await nominate(terreau, ALICE, "mod", "fair")
    assert last_answer(terreau, ALICE) == (
        "Mo is a moderator, and moderators are not eligible here."
    )
    await nominate(terreau, ALICE, "ghost", "invisible")
    assert last_answer(terreau, ALICE) == (
        "I don't know a member “ghost” here. Mention them, e.g. "
        "`/terreau election nominate @name why`."
    )
    await terreau.command(ALICE, "election", "nominate", "bob")
    assert last_answer(terreau, ALICE) == (
        "`/terreau election nominate <member> <reason>` needs a value for `reason`."
    )
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    await terreau.at(CLOSES)
    await terreau.choose(ALICE, "election:1:bob")
    assert last_answer(terreau, ALICE) == "This election is closed: your click was not counted."

    # Bob won nothing (no votes), so nominate him and let him win, then try again next month.
    await terreau.command(MOD, "election", "start")
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.command(MOD, "election", "close")
    await terreau.choose(CAROL, ballot(terreau).choices[0].id)
    await terreau.command(MOD, "election", "close")
    assert "@Bob!" in election_posts(terreau)[-1].plain_text()
    await terreau.at(datetime(2027, 1, 1, 8, 0, tzinfo=UTC))
    await terreau.say(ALICE, text="happy new year")
    await nominate(terreau, ALICE, "bob", "still kind")
    assert last_answer(terreau, ALICE) == (
        "Bob was member of the month in 2026-12 and rests for 3 months, so others get a turn. "
        "They can be nominated again from 2027-04."
    )


async def test_moderators_start_extend_close_and_cancel(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.command(ALICE, "election", "start")
    assert last_answer(terreau, ALICE) == "Only moderators can use `/terreau election start`."
    await terreau.command(MOD, "election", "start")
    assert last_answer(terreau, MOD).startswith("A new election is open for nominations.")
    await terreau.command(MOD, "election", "start")
    assert last_answer(terreau, MOD).startswith("An election is already running.")
    await terreau.command(MOD, "election", "extend", "24")
    assert last_answer(terreau, MOD).startswith(
        "Nominations now close on Thursday 26 November at 08:59"
    )
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.command(MOD, "election", "close")
    assert last_answer(terreau, MOD) == "Nominations are closed: voting is open now."
    assert ballot(terreau).choices
    await terreau.command(MOD, "election", "cancel")
    assert last_answer(terreau, MOD).startswith("The election is cancelled.")
    assert "cancelled by the moderators" in terreau.platform.posts()[-1].plain_text()
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    assert last_answer(terreau, ALICE) == "This election is closed: your click was not counted."
    assert terreau.app is not None
    async with terreau.app.database.read() as uow:
        log = await uow.elections.audit_log(terreau.app.community_id(KEY))
    assert [(e.action, e.actor_id) for e in log if e.actor_id == "mod"] == [
        ("opened", "mod"),
        ("extended", "mod"),
        ("nominations_closed_early", "mod"),
        ("cancelled", "mod"),
    ]


async def test_a_member_who_leaves_mid_vote_is_dropped_when_configured(terreau: Terreau) -> None:
    await start(terreau, member_left="drop")
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    await terreau.choose(CAROL, ballot(terreau).choices[0].id)
    await terreau.deliver(
        MemberLeft(event_id=next_id(), community=KEY, occurred_at=VOTING, member_id="carol")
    )
    await terreau.at(CLOSES)
    assert "1 member voted" in election_posts(terreau)[-1].plain_text()


async def test_nobody_nominated_cancels_with_a_notice(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await terreau.at(VOTING)
    assert "Nobody was nominated this time" in terreau.platform.posts()[-1].plain_text()
    assert [r.phase for r in await rows(terreau, ElectionRow)] == ["cancelled"]


async def test_the_winner_role_moves_to_this_months_winner(
    terreau: Terreau, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conftest, "FakePlatform", fakes.FakeRolePlatform)
    await start(terreau, winner_role="star")
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    await terreau.at(CLOSES)
    platform = terreau.platform
    assert isinstance(platform, fakes.FakeRolePlatform)
    assert platform.roles == {"star": {"bob"}}
    assert terreau.app is not None
    async with terreau.app.database.read() as uow:
        log = await uow.elections.audit_log(terreau.app.community_id(KEY))
    assert log[-1].action == "role_given"
    assert log[-1].detail == {"role": "star", "members": ["bob"]}


async def test_a_refused_winner_role_is_reported_to_the_moderators(
    terreau: Terreau, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conftest, "FakePlatform", fakes.FakeRolePlatform)
    await start(terreau, winner_role="star")
    platform = terreau.platform
    assert isinstance(platform, fakes.FakeRolePlatform)
    platform.role_refusal = Forbidden("403 Missing Permissions: Manage Roles")
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    await terreau.at(CLOSES)
    assert "@Bob!" in election_posts(terreau)[-1].plain_text()  # the result stands
    [notice] = [p for p in platform.sent if p.where is not None and p.where.channel_id == "mods"]
    assert "star" in notice.post.plain_text() and "Manage Roles" in notice.post.plain_text()
    assert terreau.app is not None
    async with terreau.app.database.read() as uow:
        log = await uow.elections.audit_log(terreau.app.community_id(KEY))
    assert log[-1].action == "role_failed"
    assert log[-1].detail == {"role": "star", "reason": "forbidden"}


async def test_a_platform_without_roles_still_announces(terreau: Terreau) -> None:
    await start(terreau, winner_role="star")
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    await terreau.at(CLOSES)
    assert "@Bob!" in election_posts(terreau)[-1].plain_text()


async def test_disabled_elections_say_so(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(ALICE, "election", "status")
    assert last_answer(terreau, ALICE).startswith(
        "Member of the month is not enabled in this community."
    )
    assert terreau.app is not None
    assert not [job for job in terreau.app.scheduler.jobs() if job.id.startswith("election:")]


async def test_cancelling_a_runoff_ends_its_first_round_too(terreau: Terreau) -> None:
    await tie(terreau, tie_policy="runoff")
    await terreau.at(CLOSES)
    await terreau.command(MOD, "election", "cancel")
    assert [r.phase for r in await rows(terreau, ElectionRow)] == ["cancelled", "cancelled"]
    await terreau.command(MOD, "election", "start")
    assert last_answer(terreau, MOD).startswith("A new election is open for nominations.")


async def test_a_member_who_leaves_keeps_their_vote_by_default(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    await terreau.choose(CAROL, ballot(terreau).choices[0].id)
    await terreau.deliver(
        MemberLeft(event_id=next_id(), community=KEY, occurred_at=VOTING, member_id="carol")
    )
    await terreau.at(CLOSES)
    assert "1 member voted" in election_posts(terreau)[-1].plain_text()


async def test_status_follows_the_phases_and_never_shows_a_count(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.command(DAN, "election", "status")
    assert last_answer(terreau, DAN) == (
        "No election is running. Nominations open on Tuesday 1 December at 09:00 (CET)."
    )
    await terreau.at(OPENS)
    await terreau.command(DAN, "election", "status")
    assert "Nobody is nominated yet." in last_answer(terreau, DAN)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.command(DAN, "election", "status")
    assert "Nominated so far: Bob." in last_answer(terreau, DAN)
    await terreau.command(DAN, "election", "vote")
    assert last_answer(terreau, DAN).startswith("Voting is not open right now.")
    await terreau.command(DAN, "election", "halloffame")
    assert last_answer(terreau, DAN) == "Nobody has been member of the month yet."
    await terreau.at(VOTING)
    await terreau.command(DAN, "election", "nominate", "carol", "late")
    assert last_answer(terreau, DAN).startswith("Nominations are not open right now.")


async def test_closing_nominations_with_nobody_nominated_ends_the_election(
    terreau: Terreau,
) -> None:
    await start(terreau)
    await terreau.command(MOD, "election", "start")
    await terreau.command(MOD, "election", "close")
    assert last_answer(terreau, MOD) == (
        "Nominations are closed, but nobody was nominated: the election ends without a vote."
    )
    await terreau.command(MOD, "election", "close")
    assert last_answer(terreau, MOD) == "There is no election running right now."


async def test_voting_missed_while_down_gets_its_full_length(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.stop()
    back = CLOSES + timedelta(hours=6)
    await terreau.clock.set(back)
    await terreau.start(extra=election())
    assert "voting is open" in ballot(terreau).plain_text()
    assert "until Monday 7 December at 15:00 (CET)" in ballot(terreau).plain_text()  # back + 48 h
    await terreau.choose(CAROL, ballot(terreau).choices[0].id)
    await terreau.at(back + timedelta(hours=48))
    assert "1 member voted" in election_posts(terreau)[-1].plain_text()


async def test_a_ballot_of_a_disabled_election_does_nothing(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    button = ballot(terreau).choices[0].id
    await terreau.stop()
    await terreau.start()  # the operator turned elections off
    await terreau.choose(CAROL, button)
    assert last_answer(terreau, CAROL).startswith("Member of the month is not enabled")
    await terreau.choose(CAROL, "election:nonsense")
    assert last_answer(terreau, CAROL) == (
        "This button no longer does anything: what it belonged to has ended."
    )
    assert len(await rows(terreau, VoteRow)) == 0


async def test_two_clicks_racing_leave_one_ballot(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominations_of(terreau, (ALICE, "bob", "kind"), (BOB, "carol", "funny"))
    await terreau.at(VOTING)
    bob_button, carol_button = (c.id for c in ballot(terreau).choices)
    await asyncio.gather(terreau.choose(DAN, bob_button), terreau.choose(DAN, carol_button))
    assert len(await rows(terreau, VoteRow)) == 1
    await terreau.at(CLOSES)
    assert "1 member voted" in election_posts(terreau)[-1].plain_text()


async def test_turnout_leaves_out_the_members_reports_exclude(terreau: Terreau) -> None:
    await terreau.start(extra=election() + '\n[communities.report]\nexclude_members = ["mod"]\n')
    for member in (ALICE, BOB, CAROL, DAN, MOD):
        await terreau.say(member, text="hello")
    await terreau.at(OPENS)
    await nominations_of(terreau, (ALICE, "bob", "kind"), (MOD, "carol", "helpful"))
    await terreau.at(VOTING)
    bob_button, _carol = (c.id for c in ballot(terreau).choices)
    for voter in (ALICE, CAROL, MOD):
        await terreau.choose(voter, bob_button)
    await terreau.at(CLOSES)

    app = terreau.app
    assert app is not None
    [vote] = await rows(terreau, ElectionRow)
    # Five could vote and three did; of them, the moderator (who could, and did).
    assert (vote.result["eligible"], vote.result["ballots"]) == (5, 3)
    assert vote.result["excluded"] == {"eligible": 1, "ballots": 1}
    community = app.communities[KEY]
    closed = Period(start=CLOSES.date(), end=CLOSES.date() + timedelta(days=1))
    async with app.database.read() as uow:
        figures = await election_figures(uow, scope_for(community, app.community_id(KEY)), closed)
    assert {f.key.rsplit(".", 1)[1]: f.value for f in figures} == {
        "election_eligible": 4,
        "election_ballots": 2,
        "election_turnout": 2 / 4,
        "election_nominations": 1,  # alice's; the moderator's is left out
    }
