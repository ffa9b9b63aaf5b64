"""Members' data rights across the games and the elections, through the commands.

Alice plays every game, wins December's member of the month, then nominates, is
nominated and votes in January's election, and asks Terreau to forget her while
January's vote is open. What she did in the games goes; her ballots stay counted
once; past results keep their counts with a pseudonym instead of her.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.features.election import count
from bot.features.privacy._commands import CONFIRM
from bot.storage.election import ElectionAuditRow, ElectionRow, VoteRow, WinnerRow
from bot.storage.games import GameAnswerRow, GamePollRow, GameRoundRow, GameVoteRow
from tests.e2e.conftest import MOD, Terreau
from tests.e2e.test_election import (
    ALICE,
    BOB,
    CAROL,
    CLOSES,
    DAN,
    OPENS,
    VOTING,
    ballot,
    election,
    nominate,
    result,
    said,
    winners,
)
from tests.e2e.test_games import games, open_question, right_and_wrong
from tests.e2e.test_privacy import kept, read_json

pytestmark = pytest.mark.privacy

NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
JANUARY = datetime(2027, 1, 1, 8, 0, tzinfo=UTC)  # 09:00 in Paris
JANUARY_VOTING = JANUARY + timedelta(hours=48)
JANUARY_CLOSES = JANUARY_VOTING + timedelta(hours=48)
GAME_KINDS = ("game_answers", "game_votes", "games_hosted")
ELECTION_KINDS = ("election_nominations", "election_ballots", "election_results")


async def rows(terreau: Terreau, table: Any, *where: Any) -> list[Any]:
    assert terreau.app is not None
    await terreau.app.writer.flush()
    async with terreau.app.database.read() as uow:
        stmt = select(table.__table__).where(*where)
        return list((await uow.connection.execute(stmt)).all())


async def chat(terreau: Terreau) -> None:
    for member in (ALICE, BOB, CAROL, DAN, MOD):
        await terreau.say(member, text="hello")


async def play(terreau: Terreau) -> None:
    """Alice starts and answers a trivia round, votes in a poll, tells two truths."""
    await terreau.at(NOON)
    await terreau.command(ALICE, "game", "trivia", "fixtures", "1")
    question = await open_question(terreau)
    assert question is not None
    right, wrong = right_and_wrong(question)
    await terreau.choose(ALICE, f"game:q{question.id}:{right}")
    await terreau.choose(BOB, f"game:q{question.id}:{wrong}")
    await terreau.at(NOON + timedelta(minutes=2))
    await terreau.command(MOD, "game", "poll", "Tea or coffee?", "Tea", "|", "Coffee")
    poll = terreau.platform.posts()[-1].choices[0].id.split(":")[1]
    await terreau.choose(ALICE, f"game:{poll}:0")
    await terreau.choose(BOB, f"game:{poll}:1")
    await terreau.command(ALICE, "game", "twotruths", "I sing", "I swim", "I fly")
    game = terreau.platform.posts()[-1].choices[0].id.split(":")[1]
    await terreau.choose(BOB, f"game:{game}:0")


async def december(terreau: Terreau) -> None:
    """Alice wins December 2 to 1 against Carol."""
    await terreau.at(OPENS)
    await chat(terreau)
    await nominate(terreau, BOB, "alice", "Alice welcomes everyone")
    await nominate(terreau, ALICE, "carol", "Carol runs the book club")
    await terreau.at(VOTING)
    buttons = {c.label: c.id for c in ballot(terreau).choices}
    for voter, choice in ((BOB, "Alice"), (DAN, "Alice"), (ALICE, "Carol")):
        await terreau.choose(voter, buttons[choice])
    await terreau.at(CLOSES)
    assert winners(terreau) == ["Alice"]


async def january_vote(terreau: Terreau) -> dict[str, str]:
    """Alice alone nominates Bob; Carol nominates Alice and Dan; four members vote."""
    await terreau.at(JANUARY)
    await chat(terreau)
    await nominate(terreau, ALICE, "bob", "Bob fixed the wiki")
    await nominate(terreau, CAROL, "alice", "Alice again")
    await nominate(terreau, CAROL, "dan", "Dan is kind")
    await terreau.at(JANUARY_VOTING)
    buttons = {c.label: c.id for c in ballot(terreau).choices}
    assert list(buttons) == ["Bob", "Alice", "Dan"]
    for voter, choice in ((ALICE, "Bob"), (CAROL, "Alice"), (BOB, "Dan"), (DAN, "Bob")):
        await terreau.choose(voter, buttons[choice])
    return buttons


async def forget(terreau: Terreau) -> None:
    await terreau.command(ALICE, "me", "forget")
    await terreau.choose(ALICE, CONFIRM)
    assert said(terreau, ALICE)[0] == "privacy.forget.done"


async def test_export_and_data_cover_the_games_and_the_elections(terreau: Terreau) -> None:
    await terreau.start(extra=games() + election(rest_months=0))
    await play(terreau)
    await december(terreau)
    await january_vote(terreau)

    await terreau.command(ALICE, "me", "data")
    shown = kept(terreau)
    assert {kind: shown[kind] for kind in GAME_KINDS} == {
        "game_answers": 1,
        "game_votes": 1,
        "games_hosted": 2,
    }
    assert {kind: shown[kind] for kind in ELECTION_KINDS} == {
        "election_nominations": 4,  # one made, one received each month
        "election_ballots": 1,  # in the election not yet announced
        "election_results": 1,
    }

    await terreau.command(ALICE, "me", "export")
    path = terreau.platform.posts("respond")[-1].file_path
    assert path is not None
    data = read_json(Path(path))["data"]
    assert isinstance(data, dict)
    assert set(data) >= {*GAME_KINDS, *ELECTION_KINDS, "election_actions"}
    assert [a["correct"] for a in data["game_answers"]] == [True]
    assert [v["choice"] for v in data["game_votes"]] == ["Tea"]
    assert [h["game"] for h in data["games_hosted"]] == ["trivia", "twotruths"]
    assert [b["ranking"] for b in data["election_ballots"]] == [["bob"]]
    [past] = data["election_results"]
    assert (past["period"], past["won"], past["first_round_votes"]) == ("2026-12", True, 2)
    assert [(n["nominee"], n["made_by_you"]) for n in data["election_nominations"]] == [
        ("Alice", False),
        ("Carol", True),
        ("Bob", True),
        ("Alice", False),
    ]
    assert "carol" not in json.dumps(data["election_nominations"])  # nominators stay private
    assert [a["action"] for a in data["election_actions"]] == ["nominated", "nominated"]


async def test_forget_erases_the_games_and_pseudonymises_the_elections(
    terreau: Terreau,
) -> None:
    app = await terreau.start(extra=games() + election(rest_months=0))
    await play(terreau)
    await december(terreau)
    buttons = await january_vote(terreau)
    december_election, january = sorted(await rows(terreau, ElectionRow), key=lambda e: e.id)
    async with app.database.read() as uow:
        december_ballots = await uow.elections.ballots(december_election.id)
    assert december_election.result is not None

    await forget(terreau)

    # The games: Alice's answer, vote and two truths are gone; Bob's answer and vote
    # stay; the round she started no longer says so.
    assert await rows(terreau, GameAnswerRow, GameAnswerRow.member_id == "alice") == []
    assert len(await rows(terreau, GameAnswerRow)) == 1
    assert [v.member_id for v in await rows(terreau, GameVoteRow)] == ["bob"]
    assert [p.kind for p in await rows(terreau, GamePollRow)] == ["poll"]
    assert [r.started_by for r in await rows(terreau, GameRoundRow)] == [None]

    # December: the same tally and ballots, a pseudonym instead of Alice everywhere.
    [after] = await rows(terreau, ElectionRow, ElectionRow.id == december_election.id)
    [former] = after.result["winners"]
    assert former.startswith("~former-")
    assert after.result == {
        **december_election.result,
        "winners": [former],
        "rounds": [{former: 2, "carol": 1}],
    }
    renamed = [tuple(former if c == "alice" else c for c in b) for b in december_ballots]
    async with app.database.read() as uow:
        assert await uow.elections.ballots(december_election.id) == renamed
    assert count("single", december_ballots, december_election.candidates or ()).ballots == 3
    [winner] = await rows(terreau, WinnerRow)
    assert (winner.member_id, winner.display_name, winner.period) == (former, "", "2026-12")
    await terreau.command(DAN, "election", "halloffame")
    former_member = terreau.catalog().text("election.former_member")
    assert said(terreau, DAN, "winners") == (
        "election.hall_of_fame",
        {"winners": [{"name": former_member, "period": "2026-12"}]},
    )

    # January: Alice is off the ballot, Carol's vote for her is withdrawn (Carol may
    # vote again), Alice's own vote stays counted, and counted once even if she clicks again.
    [running] = await rows(terreau, ElectionRow, ElectionRow.id == january.id)
    assert running.candidates == ["bob", "dan"]
    assert len(await rows(terreau, VoteRow, VoteRow.election_id == january.id)) == 3
    await terreau.choose(CAROL, buttons["Alice"])
    assert said(terreau, CAROL) == ("election.refuse.ballot_unknown", {})
    await terreau.say(ALICE, text="still here")  # taking part again after the erasure
    await terreau.choose(ALICE, buttons["Bob"])
    assert len(await rows(terreau, VoteRow, VoteRow.election_id == january.id)) == 3
    await terreau.command(DAN, "election", "status")
    assert said(terreau, DAN, "nominees") == (
        "election.status.voting",
        {"nominees": ["Bob", "Dan"]},
    )
    await terreau.at(JANUARY_CLOSES)
    assert winners(terreau) == ["Bob"]
    announced = result(terreau)
    assert announced.variables["period"] == "2027-01"
    assert announced.variables["reasons"] == []  # Alice's reason went with her
    assert "Bob fixed the wiki" not in announced.text
    assert announced.variables["ballots"] == 3

    # No audit entry names her, and the privacy audit says what was done, not to whom.
    audit = await rows(terreau, ElectionAuditRow)
    assert "alice" not in str([(entry.actor_id, entry.detail) for entry in audit])
    assert "candidate_withdrawn" in [entry.action for entry in audit]
    async with app.database.read() as uow:
        [*_, entry] = await uow.privacy.audit_log(1)
    assert entry.action == "forget"
    assert "alice" not in json.dumps(entry.details)
    erased = entry.details["rows"]
    assert {k: erased[k] for k in GAME_KINDS} == {
        "game_answers": 1,
        "game_votes": 1,
        "games_hosted": 2,
    }
    assert erased["election_nominations"] == 4  # two received, one made in December, one now
    assert erased["election_results"] == 1
    assert "election_ballots" not in erased  # kept: still counted, under their key
