"""An acknowledged vote or answer is in the database before its acknowledgement leaves.

A process SIGKILLed at the moment a member is told "your vote is in" loses nothing that
member was told: at each acknowledgement (the private answer to the click), the
platform below reads the SQLite file with a connection of its own, as a restarted
process would find it. The interaction log, by contrast, is written in batches; what a
kill costs there is measured in `bench/bench_crash_window.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain import ChoiceMade, CommandInvoked, Member, Post
from tests.fakes import FakePlatform
from tests.faults.conftest import KEY, MOD, FaultBot, config_text, message, next_id
from tests.faults.test_election_faults import (
    ALICE,
    BOB,
    CAROL,
    DAN,
    OPENS,
    TEXT,
    VOTING,
    ballot,
    nomination,
)

pytestmark = pytest.mark.delivery

CONTENT = Path(__file__).parents[1] / "games_content"
GAMES = f"""
[communities.games]
channel = "general"
poll_minutes = 30
trivia_dirs = ["{CONTENT / "trivia"}"]
"""
VOTERS = [Member(id=f"m{n}", display_name=f"Member {n}") for n in range(6)]


@dataclass
class Witness(FakePlatform):
    """A platform that, at each private answer to a click, reads what the file holds."""

    read: Callable[[ChoiceMade], Any] | None = None
    seen: list[tuple[str, Any]] = field(default_factory=list)

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        if isinstance(to, ChoiceMade) and self.read is not None:
            self.seen.append((to.member.id, self.read(to)))
        await super().respond(to, post, private=private)


def click(member: Member, choice_id: str, bot: FaultBot) -> ChoiceMade:
    return ChoiceMade(
        event_id=next_id(),
        community=KEY,
        occurred_at=bot.clock.now(),
        member=member,
        channel_id="general",
        message_id="m-game",
        choice_id=choice_id,
        interaction_id=next_id("i"),
    )


def choices(platform: FakePlatform) -> Sequence[str]:
    return [
        choice.id for choice in next(p for p in reversed(platform.posts()) if p.choices).choices
    ]


async def test_a_poll_vote_is_committed_before_it_is_acknowledged(fault_bot: FaultBot) -> None:
    witness = Witness(name="console")
    await fault_bot.start(config_text(rituals="", extra=GAMES), platform=witness)
    await fault_bot.command(MOD, "game", "poll", "Tea or coffee?", "Tea", "|", "Coffee")
    tea, coffee = choices(witness)
    witness.read = lambda event: fault_bot.rows(
        "SELECT option FROM game_votes WHERE member_id = ?", event.member.id
    )
    for index, member in enumerate(VOTERS):
        await fault_bot.deliver(click(member, tea if index % 2 else coffee, fault_bot))
    await fault_bot.deliver(click(VOTERS[0], tea, fault_bot))  # a changed vote, too

    assert witness.seen == [
        *[(member.id, [(0 if index % 2 else 1,)]) for index, member in enumerate(VOTERS)],
        (VOTERS[0].id, [(0,)]),
    ]


async def test_a_trivia_answer_is_committed_before_it_is_acknowledged(fault_bot: FaultBot) -> None:
    witness = Witness(name="console")
    await fault_bot.start(config_text(rituals="", extra=GAMES), platform=witness)
    await fault_bot.command(MOD, "game", "trivia", "fixtures", "1")
    buttons = choices(witness)
    witness.read = lambda event: fault_bot.rows(
        "SELECT answer FROM game_answers WHERE member_id = ?", event.member.id
    )
    for index, member in enumerate(VOTERS):
        await fault_bot.deliver(click(member, buttons[index % len(buttons)], fault_bot))

    assert [member for member, _ in witness.seen] == [member.id for member in VOTERS]
    assert all(len(rows) == 1 for _, rows in witness.seen)


async def test_a_ballot_is_committed_before_it_is_acknowledged(fault_bot: FaultBot) -> None:
    witness = Witness(name="console")
    await fault_bot.start(TEXT, platform=witness)
    await fault_bot.at(OPENS)
    for member in (ALICE, BOB, CAROL, DAN):
        await fault_bot.deliver(message(member, OPENS, text="hello"))
    await fault_bot.deliver(nomination(ALICE, "bob", "Bob answers everyone", OPENS))
    await fault_bot.deliver(nomination(BOB, "carol", "Carol runs the book club", OPENS))
    await fault_bot.at(VOTING)
    buttons = {choice.label: choice.id for choice in ballot(fault_bot).choices}
    witness.read = lambda event: fault_bot.rows("SELECT count(*) FROM election_votes")

    for count, (member, nominee) in enumerate([(ALICE, "Bob"), (DAN, "Carol")], start=1):
        await fault_bot.clock.advance(timedelta(minutes=1))
        await fault_bot.deliver(click(member, buttons[nominee], fault_bot))
        assert witness.seen[-1] == (member.id, [(count,)])
