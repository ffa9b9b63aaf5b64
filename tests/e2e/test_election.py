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
from tests.e2e.conftest import KEY, Terreau, next_id
from tests.fakes import Rendered

pytestmark = pytest.mark.election

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


def said(terreau: Terreau, member: Member, *names: str) -> tuple[str, dict[str, object]]:
    """The prompt of `member`'s last private answer, and the variables `names` it showed."""
    return terreau.prompts.said(terreau.answers(member)[-1], *names)


def election_posts(terreau: Terreau) -> list[Post]:
    return terreau.prompts.posts(terreau.platform.posts(), "election.posts.")


def result(terreau: Terreau) -> Rendered:
    """The last result announced in the channel."""
    announced = terreau.prompts.posts(terreau.platform.posts(), "election.posts.result")
    return terreau.prompts.of(announced[-1])


def winners(terreau: Terreau) -> list[str]:
    """Who the last announced result names, as mentions."""
    return [
        winner.display_name
        for winner in result(terreau).variables["winners"]  # type: ignore[attr-defined]
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
    [opening] = election_posts(terreau)
    assert terreau.prompts.said(opening, "period") == (
        "election.posts.nominations_open",
        {"period": "2026-12"},
    )

    await nominations_of(
        terreau,
        (ALICE, "bob", "Bob answers every newcomer's question"),
        (CAROL, "@bob", "Bob rewrote the docs"),
        (BOB, "<@carol>", "Carol runs the book club"),
    )
    assert said(terreau, ALICE, "nominee") == ("election.nominated", {"nominee": "Bob"})
    await nominate(terreau, ALICE, "bob", "again")
    assert said(terreau, ALICE, "nominee") == (
        "election.refuse.already_nominated",
        {"nominee": "Bob"},
    )
    await nominate(terreau, ALICE, "alice", "me")
    assert said(terreau, ALICE) == ("election.refuse.self_nomination", {})

    await terreau.at(VOTING)
    post = ballot(terreau)
    assert terreau.prompts.said(post, "nominees") == (
        "election.posts.voting_open",
        {"nominees": ["Bob", "Carol"]},
    )
    assert [c.label for c in post.choices] == ["Bob", "Carol"]
    bob_button, carol_button = (c.id for c in post.choices)
    assert bob_button.startswith("election:") and bob_button.endswith(":bob")

    await terreau.choose(ALICE, carol_button)
    await terreau.choose(ALICE, bob_button)  # a changed vote replaces the first
    assert said(terreau, ALICE, "nominee") == ("election.ballot.voted", {"nominee": "Bob"})
    await terreau.choose(CAROL, bob_button)
    await terreau.choose(BOB, bob_button)
    assert said(terreau, BOB) == ("election.refuse.self_vote", {})
    await terreau.choose(BOB, carol_button)
    await terreau.command(ALICE, "election", "receipt")
    assert said(terreau, ALICE, "ranking", "updated_at") == (
        "election.receipt.counted",
        {"ranking": ["Bob"], "updated_at": VOTING},
    )
    await terreau.command(DAN, "election", "receipt")
    assert said(terreau, DAN) == ("election.receipt.none", {})
    await terreau.command(DAN, "election", "status")
    status = terreau.prompts.of(terreau.answers(DAN)[-1])
    assert status.key == "election.status.voting"
    assert status.variables["nominees"] == ["Bob", "Carol"]
    # No running tally: the status is given no count to show.
    assert not [v for v in status.variables.values() if isinstance(v, int | float | dict)]

    assert len(await rows(terreau, VoteRow)) == 3
    for vote in await rows(terreau, VoteRow):
        assert "alice" not in str(vote) and "bob" not in vote.voter_key

    await terreau.at(CLOSES)
    announced = result(terreau)
    assert winners(terreau) == ["Bob"]
    assert {name: announced.variables[name] for name in ("period", "resolution")} == {
        "period": "2026-12",
        "resolution": "winner",
    }
    # The reasons given for the winner are quoted, without who gave them; others' are not.
    assert announced.variables["reasons"] == [
        "Bob answers every newcomer's question",
        "Bob rewrote the docs",
    ]
    assert "Carol runs the book club" not in announced.text
    assert announced.variables["nominees"] == ["Bob", "Carol"]
    assert (announced.variables["ballots"], announced.variables["eligible"]) == (3, 5)
    assert "alice" not in announced.text.lower()

    for vote in await rows(terreau, VoteRow):
        assert vote.voter_key is None
    await terreau.command(DAN, "election", "halloffame")
    assert said(terreau, DAN, "winners") == (
        "election.hall_of_fame",
        {"winners": [{"name": "Bob", "period": "2026-12"}]},
    )

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
    start_over = terreau.catalog().text("election.ballot.reset_label")
    buttons = {c.label: c.id for c in ballot(terreau).choices}
    assert list(buttons) == ["Bob", "Carol", "Dan", start_over]

    await terreau.choose(ALICE, buttons["Dan"])
    await terreau.choose(ALICE, buttons[start_over])
    assert said(terreau, ALICE, "ranking") == ("election.ballot.ranked", {"ranking": []})
    await terreau.choose(ALICE, buttons["Bob"])
    await terreau.choose(ALICE, buttons["Carol"])
    assert said(terreau, ALICE, "ranking", "left") == (
        "election.ballot.ranked",
        {"ranking": ["Bob", "Carol"], "left": ["Dan"]},
    )
    # First choices: Bob 2 (Alice, Mo), Carol 1 (Dan), Dan 2 (Bob, Carol): no majority of 5.
    # Carol is eliminated and Dan's ballot goes to Bob: Bob 3, Dan 2.
    await terreau.choose(MOD, buttons["Bob"])
    await terreau.choose(DAN, buttons["Carol"])
    await terreau.choose(DAN, buttons["Bob"])
    await terreau.choose(BOB, buttons["Dan"])
    await terreau.choose(CAROL, buttons["Dan"])
    await terreau.command(DAN, "election", "receipt")
    assert said(terreau, DAN, "method", "ranking") == (
        "election.receipt.counted",
        {"method": "ranked", "ranking": ["Carol", "Bob"]},
    )
    await terreau.at(CLOSES)
    assert winners(terreau) == ["Bob"]


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
    assert winners(terreau) == ["Bob", "Carol"]
    assert result(terreau).variables["resolution"] == "co_winners"


async def test_a_tie_with_runoff_opens_a_24_hour_second_ballot(terreau: Terreau) -> None:
    await tie(terreau, tie_policy="runoff")
    await terreau.at(CLOSES)
    runoff = ballot(terreau)
    assert terreau.prompts.said(runoff, "nominees", "closes_at") == (
        "election.posts.runoff_open",
        {"nominees": ["Bob", "Carol"], "closes_at": CLOSES + timedelta(hours=24)},
    )
    bob_button = runoff.choices[0].id
    await terreau.choose(CAROL, bob_button)
    await terreau.at(CLOSES + timedelta(hours=23))
    assert terreau.prompts.keys("election.posts.result") == []
    await terreau.at(CLOSES + timedelta(hours=24))
    assert winners(terreau) == ["Bob"]
    assert result(terreau).variables["period"] == "2026-12"
    assert result(terreau).variables["reasons"] == ["kind"]
    assert result(terreau).variables["ballots"] == 1


async def test_a_tie_for_the_moderators_waits_for_their_decision(terreau: Terreau) -> None:
    await tie(terreau, tie_policy="moderators")
    await terreau.at(CLOSES)
    sent = terreau.platform.sent
    asked = [s for s in sent if s.kind == "send" and s.where and s.where.channel_id == "mods"]
    assert asked and terreau.prompts.said(asked[-1].post, "tied") == (
        "election.posts.tie_for_moderators",
        {"tied": ["Bob", "Carol"]},
    )
    general = [
        s.post for s in sent if s.kind == "send" and s.where and s.where.channel_id == "general"
    ]
    assert terreau.prompts.said(general[-1], "tied") == (
        "election.posts.tie_public",
        {"tied": ["Bob", "Carol"]},
    )
    await terreau.command(ALICE, "election", "decide", "carol")
    assert said(terreau, ALICE, "command") == (
        "messages.commands.moderators_only",
        {"command": "/terreau election decide <member>"},
    )
    await terreau.command(MOD, "election", "decide", "dan")
    assert said(terreau, MOD, "nominee") == ("election.refuse.not_tied", {"nominee": "dan"})
    await terreau.command(MOD, "election", "decide", "carol")
    assert winners(terreau) == ["Carol"]
    assert result(terreau).variables["resolution"] == "decided"
    await terreau.command(MOD, "election", "decide", "carol")
    assert said(terreau, MOD) == ("election.refuse.nothing_to_decide", {})


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
    assert said(terreau, CAROL, "nominee") == ("election.ballot.voted", {"nominee": "Bob"})
    await terreau.at(CLOSES)
    assert result(terreau).variables["ballots"] == 2


async def test_downtime_across_the_close_announces_once(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominations_of(terreau, (ALICE, "bob", "kind"), (BOB, "carol", "funny"))
    await terreau.at(VOTING)
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    await terreau.stop()

    await terreau.clock.set(CLOSES + timedelta(hours=30))
    await terreau.start(extra=election())
    assert winners(terreau) == ["Bob"]
    await terreau.stop()
    await terreau.start(extra=election())
    await terreau.at(CLOSES + timedelta(days=3))
    assert terreau.platform.posts() == []  # this process announces nothing again
    assert len(terreau.prompts.keys("election.posts.result")) == 1
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
    assert said(terreau, NEWBIE, "days", "eligible_on") == (
        "election.refuse.tenure",
        {"days": 7, "eligible_on": datetime(2026, 12, 7, tzinfo=UTC)},
    )
    await terreau.choose(ROBOT, bob_button)
    assert said(terreau, ROBOT) == ("election.refuse.bot_voter", {})
    quiet = Member(id="quiet", display_name="Quiet", joined_at=JOINED)
    await terreau.choose(quiet, bob_button)
    inactive = ("election.refuse.inactive", {"needed": 1, "days": 30, "count": 0})
    assert said(terreau, quiet, "needed", "days", "count") == inactive
    await terreau.command(quiet, "election", "vote")
    assert said(terreau, quiet, "needed", "days", "count") == inactive
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
    assert said(terreau, ALICE, "nominee") == ("election.refuse.nominee_bot", {"nominee": "Robot"})
    terreau.platform.members[KEY] = {"mod": MOD}
    await nominate(terreau, ALICE, "mod", "fair")
    assert said(terreau, ALICE, "nominee") == (
        "election.refuse.nominee_moderator",
        {"nominee": "Mo"},
    )
    await nominate(terreau, ALICE, "ghost", "invisible")
    assert said(terreau, ALICE, "nominee") == (
        "election.refuse.nominee_unknown",
        {"nominee": "ghost"},
    )
    await terreau.command(ALICE, "election", "nominate", "bob")
    assert said(terreau, ALICE, "usage", "option") == (
        "messages.commands.missing_option",
        {"usage": "/terreau election nominate <member> <reason>", "option": "reason"},
    )
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    await terreau.at(CLOSES)
    await terreau.choose(ALICE, "election:1:bob")
    assert said(terreau, ALICE) == ("election.refuse.ballot_closed", {})

    # Bob won nothing (no votes), so nominate him and let him win, then try again next month.
    await terreau.command(MOD, "election", "start")
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.command(MOD, "election", "close")
    await terreau.choose(CAROL, ballot(terreau).choices[0].id)
    await terreau.command(MOD, "election", "close")
    assert winners(terreau) == ["Bob"]
    await terreau.at(datetime(2027, 1, 1, 8, 0, tzinfo=UTC))
    await terreau.say(ALICE, text="happy new year")
    await nominate(terreau, ALICE, "bob", "still kind")
    assert said(terreau, ALICE, "nominee", "won", "months", "back") == (
        "election.refuse.nominee_resting",
        {"nominee": "Bob", "won": "2026-12", "months": 3, "back": "2027-04"},
    )


async def test_moderators_start_extend_close_and_cancel(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.command(ALICE, "election", "start")
    assert said(terreau, ALICE, "command") == (
        "messages.commands.moderators_only",
        {"command": "/terreau election start"},
    )
    await terreau.command(MOD, "election", "start")
    assert said(terreau, MOD) == ("election.started", {})
    await terreau.command(MOD, "election", "start")
    assert said(terreau, MOD) == ("election.refuse.already_running", {})
    await terreau.command(MOD, "election", "extend", "24")
    # Tuesday 24 November 08:59 in Paris, 48 hours of nominations and 24 more: Thursday.
    assert said(terreau, MOD, "phase", "voting_opens_at") == (
        "election.extended",
        {"phase": "nominating", "voting_opens_at": datetime(2026, 11, 26, 7, 59, tzinfo=UTC)},
    )
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.command(MOD, "election", "close")
    assert said(terreau, MOD) == ("election.closed_early.nominating", {})
    assert ballot(terreau).choices
    await terreau.command(MOD, "election", "cancel")
    assert said(terreau, MOD) == ("election.cancelled", {})
    assert terreau.said(terreau.platform.posts()[-1]) == "election.posts.cancelled"
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    assert said(terreau, ALICE) == ("election.refuse.ballot_closed", {})
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
    assert result(terreau).variables["ballots"] == 1


async def test_nobody_nominated_cancels_with_a_notice(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await terreau.at(VOTING)
    assert terreau.said(terreau.platform.posts()[-1]) == "election.posts.no_nominees"
    assert [r.phase for r in await rows(terreau, ElectionRow)] == ["cancelled"]


async def test_the_winner_role_moves_to_this_months_winner(terreau: Terreau) -> None:
    terreau.platform_type = fakes.FakeRolePlatform
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


async def test_a_refused_winner_role_is_reported_to_the_moderators(terreau: Terreau) -> None:
    terreau.platform_type = fakes.FakeRolePlatform
    await start(terreau, winner_role="star")
    platform = terreau.platform
    assert isinstance(platform, fakes.FakeRolePlatform)
    platform.role_refusal = Forbidden("403 Missing Permissions: Manage Roles")
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    await terreau.choose(ALICE, ballot(terreau).choices[0].id)
    await terreau.at(CLOSES)
    assert winners(terreau) == ["Bob"]  # the result stands
    [notice] = [p for p in platform.sent if p.where is not None and p.where.channel_id == "mods"]
    assert terreau.prompts.said(notice.post, "role", "reason", "error") == (
        "election.posts.role_failed",
        {"role": "star", "reason": "forbidden", "error": "403 Missing Permissions: Manage Roles"},
    )
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
    assert winners(terreau) == ["Bob"]


async def test_disabled_elections_say_so(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(ALICE, "election", "status")
    assert said(terreau, ALICE) == ("election.refuse.disabled", {})
    assert terreau.app is not None
    assert not [job for job in terreau.app.scheduler.jobs() if job.id.startswith("election:")]


async def test_cancelling_a_runoff_ends_its_first_round_too(terreau: Terreau) -> None:
    await tie(terreau, tie_policy="runoff")
    await terreau.at(CLOSES)
    await terreau.command(MOD, "election", "cancel")
    assert [r.phase for r in await rows(terreau, ElectionRow)] == ["cancelled", "cancelled"]
    await terreau.command(MOD, "election", "start")
    assert said(terreau, MOD) == ("election.started", {})


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
    assert result(terreau).variables["ballots"] == 1


async def test_status_follows_the_phases_and_never_shows_a_count(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.command(DAN, "election", "status")
    assert said(terreau, DAN, "next_opening") == ("election.status.none", {"next_opening": OPENS})
    await terreau.at(OPENS)
    await terreau.command(DAN, "election", "status")
    assert said(terreau, DAN, "nominees") == ("election.status.nominating", {"nominees": []})
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.command(DAN, "election", "status")
    assert said(terreau, DAN, "nominees") == ("election.status.nominating", {"nominees": ["Bob"]})
    await terreau.command(DAN, "election", "vote")
    assert said(terreau, DAN) == ("election.refuse.not_voting", {})
    await terreau.command(DAN, "election", "halloffame")
    assert said(terreau, DAN, "winners") == ("election.hall_of_fame", {"winners": []})
    await terreau.at(VOTING)
    await terreau.command(DAN, "election", "nominate", "carol", "late")
    assert said(terreau, DAN) == ("election.refuse.not_nominating", {})


async def test_closing_nominations_with_nobody_nominated_ends_the_election(
    terreau: Terreau,
) -> None:
    await start(terreau)
    await terreau.command(MOD, "election", "start")
    await terreau.command(MOD, "election", "close")
    assert said(terreau, MOD) == ("election.closed_early.no_nominees", {})
    await terreau.command(MOD, "election", "close")
    assert said(terreau, MOD) == ("election.refuse.none_running", {})


async def test_voting_missed_while_down_gets_its_full_length(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.stop()
    back = CLOSES + timedelta(hours=6)
    await terreau.clock.set(back)
    await terreau.start(extra=election())
    assert terreau.prompts.said(ballot(terreau), "closes_at") == (
        "election.posts.voting_open",
        {"closes_at": back + timedelta(hours=48)},
    )
    await terreau.choose(CAROL, ballot(terreau).choices[0].id)
    await terreau.at(back + timedelta(hours=48))
    assert result(terreau).variables["ballots"] == 1


async def test_a_ballot_of_a_disabled_election_does_nothing(terreau: Terreau) -> None:
    await start(terreau)
    await terreau.at(OPENS)
    await nominate(terreau, ALICE, "bob", "kind")
    await terreau.at(VOTING)
    button = ballot(terreau).choices[0].id
    await terreau.stop()
    await terreau.start()  # the operator turned elections off
    await terreau.choose(CAROL, button)
    assert said(terreau, CAROL) == ("election.refuse.disabled", {})
    await terreau.choose(CAROL, "election:nonsense")
    assert said(terreau, CAROL) == ("messages.choices.expired", {})
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
    assert result(terreau).variables["ballots"] == 1


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
