"""Member of the month under faults: downtime across the close, late, racing and repeated events.

Each case reads the outcome from the database file itself (`FaultBot.rows`).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain import ChoiceMade, CommandInvoked, Member, Post
from tests.faults.conftest import KEY, PROMPTS, FaultBot, config_text, message, next_id

pytestmark = pytest.mark.election

JOINED = datetime(2026, 10, 1, tzinfo=UTC)
ALICE = Member(id="alice", display_name="Alice", joined_at=JOINED)
BOB = Member(id="bob", display_name="Bob", joined_at=JOINED)
CAROL = Member(id="carol", display_name="Carol", joined_at=JOINED)
DAN = Member(id="dan", display_name="Dan", joined_at=JOINED)

# Nominations open Tuesday 1 December 2026 at 09:00 in Paris, for 48 hours, then voting.
OPENS = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
VOTING = OPENS + timedelta(hours=48)
CLOSES = VOTING + timedelta(hours=48)

ELECTION = """
[communities.election]
enabled = true
opens = "0 9 1 * *"
nomination_hours = 48
voting_hours = 48
min_tenure_days = 7
"""
TEXT = config_text(rituals="", extra=ELECTION)


def nomination(member: Member, nominee: str, reason: str, at: datetime) -> CommandInvoked:
    """Return `/terreau election nominate <nominee> <reason>` as `member`."""
    return CommandInvoked(
        event_id=next_id(),
        community=KEY,
        occurred_at=at,
        member=member,
        channel_id="general",
        group="election",
        action="nominate",
        args=(nominee, *reason.split()),
    )


def click(member: Member, choice_id: str, at: datetime) -> ChoiceMade:
    """Return a click on a ballot button."""
    return ChoiceMade(
        event_id=next_id(),
        community=KEY,
        occurred_at=at,
        member=member,
        channel_id="general",
        message_id="m-ballot",
        choice_id=choice_id,
        interaction_id=next_id("i"),
    )


async def to_voting(bot: FaultBot) -> dict[str, str]:
    """Open December's election, nominate Bob and Carol, open voting; return the buttons."""
    await bot.start(TEXT)
    await bot.at(OPENS)
    for member in (ALICE, BOB, CAROL, DAN):
        await bot.deliver(message(member, OPENS, text="hello"))
    await bot.deliver(nomination(ALICE, "bob", "Bob answers everyone", OPENS))
    await bot.deliver(nomination(BOB, "carol", "Carol runs the book club", OPENS))
    await bot.at(VOTING)
    return {choice.label: choice.id for choice in ballot(bot).choices}


def ballot(bot: FaultBot) -> Post:
    return next(post for post in reversed(bot.platform.posts()) if post.choices)


def results(bot: FaultBot) -> list[dict[str, object]]:
    """Return the variables of each result announcement this platform received."""
    return [
        bot.prompts.of(post).variables
        for post in bot.prompts.posts(bot.platform.posts(), "election.posts.result")
    ]


def replies(bot: FaultBot, member: Member) -> list[str]:
    return [
        item.post.plain_text()
        for item in bot.platform.sent
        if item.kind == "respond" and item.member_id == member.id
    ]


def stored_result(bot: FaultBot) -> dict[str, Any]:
    [(phase, result)] = bot.rows("SELECT phase, result FROM elections")
    assert phase == "announced"
    return dict(json.loads(result))


def audit_actions(bot: FaultBot) -> list[str]:
    return [action for (action,) in bot.rows("SELECT action FROM election_audit ORDER BY id")]


async def test_six_hours_down_across_the_close_closes_and_announces_once(
    fault_bot: FaultBot,
) -> None:
    """Nothing lost, nothing doubled: Terreau is down from two hours before the close to
    four hours after. At restart the election closes from its stored deadline and is
    announced: one `closed` and one `announced` audit entry, one claimed announcement in
    the run ledger, one result row in the outbox (sent), every one of the three ballots
    counted and then sealed; a second restart and two more days post nothing more.
    """
    buttons = await to_voting(fault_bot)
    for voter, choice in ((ALICE, "Carol"), (CAROL, "Bob"), (DAN, "Bob")):
        await fault_bot.deliver(click(voter, buttons[choice], VOTING))
    await fault_bot.at(CLOSES - timedelta(hours=2))
    await fault_bot.stop()

    await fault_bot.clock.set(CLOSES + timedelta(hours=4))
    await fault_bot.start(TEXT)
    [announcement] = results(fault_bot)
    winners = announcement["winners"]
    assert [w.display_name for w in winners] == ["Bob"]  # type: ignore[attr-defined]
    assert announcement["ballots"] == 3
    await fault_bot.stop()
    await fault_bot.start(TEXT)
    await fault_bot.at(CLOSES + timedelta(days=2))
    assert results(fault_bot) == []

    result = stored_result(fault_bot)
    assert (result["winners"], result["ballots"], result["rounds"]) == (
        ["bob"],
        3,
        [{"bob": 2, "carol": 1}],
    )
    assert audit_actions(fault_bot).count("closed") == 1
    assert audit_actions(fault_bot).count("announced") == 1
    assert fault_bot.rows(
        "SELECT status FROM run_ledger WHERE job_id LIKE 'election:%:announce:%'"
    ) == [("done",)]
    assert fault_bot.rows("SELECT status FROM outbox WHERE nonce LIKE '%:result'") == [("sent",)]
    assert fault_bot.rows("SELECT count(*), count(voter_key) FROM election_votes") == [(3, 0)]


async def test_a_vote_delivered_after_the_close_is_refused_with_its_reason_kept(
    fault_bot: FaultBot,
) -> None:
    """Nothing lost, nothing changed: a click made a minute before the close but
    delivered after it (events out of order) does not enter the count; the member is
    told why, and the refusal is stored in the election's audit log with its reason and
    the time of the click, without the member's id. The result keeps its one ballot.
    """
    buttons = await to_voting(fault_bot)
    await fault_bot.deliver(click(ALICE, buttons["Bob"], VOTING))
    late = click(CAROL, buttons["Carol"], CLOSES - timedelta(minutes=1))
    await fault_bot.at(CLOSES)
    assert len(results(fault_bot)) == 1

    await fault_bot.deliver(late)
    assert replies(fault_bot, CAROL)[-1] == PROMPTS.catalog("en").text(
        "election.refuse.ballot_closed", member="Carol"
    )
    assert fault_bot.rows("SELECT count(*) FROM election_votes") == [(1,)]
    assert stored_result(fault_bot)["ballots"] == 1
    [(election_id,)] = fault_bot.rows("SELECT id FROM elections")
    [(refused_in, actor, detail)] = fault_bot.rows(
        "SELECT election_id, actor_id, detail FROM election_audit WHERE action = 'ballot_refused'"
    )
    assert (refused_in, actor) == (election_id, None)
    assert json.loads(detail) == {
        "reason": "ballot_closed",
        "clicked_at": (CLOSES - timedelta(minutes=1)).isoformat(),
    }
    assert audit_actions(fault_bot)[-1] == "ballot_refused"  # after the close and the result


async def test_two_votes_of_one_member_at_the_same_instant_count_once(
    fault_bot: FaultBot,
) -> None:
    """Nothing doubled: Dan's two clicks (Bob, Carol) handled concurrently leave one
    ballot row; both clicks are answered, and the count at the close sees one ballot.
    """
    buttons = await to_voting(fault_bot)
    now = fault_bot.clock.now()
    await asyncio.gather(
        fault_bot.deliver(click(DAN, buttons["Bob"], now)),
        fault_bot.deliver(click(DAN, buttons["Carol"], now)),
    )
    assert fault_bot.rows("SELECT count(*) FROM election_votes") == [(1,)]
    assert len(replies(fault_bot, DAN)) == 2
    await fault_bot.at(CLOSES)
    result = stored_result(fault_bot)
    assert result["ballots"] == 1
    assert sum(result["rounds"][0].values()) == 1


async def test_a_nomination_and_a_vote_delivered_four_times_count_once(
    fault_bot: FaultBot,
) -> None:
    """Nothing doubled: the same nomination and the same ballot click, each delivered
    four times and once more after a restart (when only the database remembers them),
    leave one nomination, one `nominated` entry, one ballot, one `ballot_changed` entry,
    one logged click, and a count of one ballot at the close.
    """
    await fault_bot.start(TEXT)
    await fault_bot.at(OPENS)
    for member in (ALICE, BOB, CAROL):
        await fault_bot.deliver(message(member, OPENS, text="hello"))
    nominated = nomination(ALICE, "bob", "Bob answers everyone", OPENS)
    for _ in range(4):
        await fault_bot.deliver(nominated)
    assert len(replies(fault_bot, ALICE)) == 1
    await fault_bot.at(VOTING)
    vote = click(CAROL, ballot(fault_bot).choices[0].id, VOTING)
    for _ in range(4):
        await fault_bot.deliver(vote)
    assert len(replies(fault_bot, CAROL)) == 1
    await fault_bot.stop()

    await fault_bot.start(TEXT)
    await fault_bot.deliver(nominated)  # nominations are closed by now: refused, no change
    await fault_bot.deliver(vote)
    await fault_bot.flush()
    assert fault_bot.rows("SELECT nominee_id, nominator_id FROM election_nominations") == [
        ("bob", "alice")
    ]
    assert fault_bot.rows("SELECT ranking FROM election_votes") == [('["bob"]',)]
    assert audit_actions(fault_bot).count("nominated") == 1
    assert audit_actions(fault_bot).count("ballot_changed") == 1
    assert fault_bot.rows(
        "SELECT count(*) FROM interactions WHERE event_id = ?", vote.event_id
    ) == [(1,)]
    await fault_bot.at(CLOSES)
    assert stored_result(fault_bot)["ballots"] == 1


async def test_a_nomination_and_a_vote_redelivered_after_a_restart_are_not_answered_again(
    fault_bot: FaultBot,
) -> None:
    """Answered once: a nomination and a ballot click, each redelivered after a restart
    while nominations (then voting) are still open, as a platform does when it is unsure
    the first delivery arrived. Only the database remembers the first deliveries; the
    member gets no second answer (never "you already nominated Bob"). The vote's claim is
    stored, finished; the nomination's, two days old by then, went with the daily purge.
    """
    catalog = PROMPTS.catalog("en")
    await fault_bot.start(TEXT)
    await fault_bot.at(OPENS)
    for member in (ALICE, BOB, CAROL):
        await fault_bot.deliver(message(member, OPENS, text="hello"))
    nominated = nomination(ALICE, "bob", "Bob answers everyone", OPENS)
    await fault_bot.deliver(nominated)
    assert replies(fault_bot, ALICE) == [
        catalog.text(
            "election.nominated",
            member="Alice",
            nominee="Bob",
            voting_opens_at=VOTING,
            timezone="Europe/Paris",
        )
    ]
    await fault_bot.stop()

    await fault_bot.start(TEXT)
    await fault_bot.deliver(nominated)
    assert replies(fault_bot, ALICE) == []
    await fault_bot.at(VOTING)
    vote = click(CAROL, ballot(fault_bot).choices[0].id, VOTING)
    await fault_bot.deliver(vote)
    assert len(replies(fault_bot, CAROL)) == 1
    await fault_bot.stop()

    await fault_bot.start(TEXT)
    await fault_bot.deliver(vote)
    assert replies(fault_bot, CAROL) == []
    assert audit_actions(fault_bot).count("nominated") == 1
    assert audit_actions(fault_bot).count("ballot_changed") == 1
    assert fault_bot.rows("SELECT event_id, finished_at IS NOT NULL FROM handled_deliveries") == [
        (vote.event_id, 1)
    ]
