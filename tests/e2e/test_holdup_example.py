"""examples/holdup.script, replayed with its header's command: a problem, ideas, dots, outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Mention
from tests.e2e.test_examples import CATALOG, replay, shown

pytestmark = pytest.mark.holdup

SPACE = "#hold-up-a-name-for-my-bakery"
PARIS = "Europe/Paris"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder where the header's relative paths (examples/...) resolve."""
    (tmp_path / "examples").symlink_to(Path(__file__).parents[2] / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def first_line(key: str, **variables: object) -> str:
    return shown(CATALOG.post(key, **variables)).split("\n", 1)[0].removeprefix("Terreau: ")


@pytest.mark.timeout(600)
def test_the_ideas_come_back_ranked_to_the_requester_then_her_follow_up(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = replay("holdup.script", capsys)

    assert "error:" not in transcript
    alice = Mention(member_id="alice", display_name="alice")
    problem = "a name for my bakery"
    opened = transcript.index(f"{SPACE} (public) opened for alice")
    assert transcript.index(f"{SPACE}] bob: Le Quai du Pain") > opened
    assert f"{SPACE}] Terreau: 💡 Idea 3: The Early Crumb" in transcript
    closes = datetime(2026, 11, 27, 9, tzinfo=UTC)
    vote = first_line(
        "holdup.posts.voting", problem=problem, dots=3, closes_at=closes, timezone=PARIS, ideas=[]
    )
    voting = transcript.index(f"{SPACE}] Terreau: {vote}")
    outcome = transcript.index(
        first_line(
            "holdup.posts.outcome",
            requester=alice,
            problem=problem,
            ideas=[],
            count=3,
            contributors=[],
        )
    )
    assert opened < voting < outcome
    ranking = transcript[outcome:].split("\n")[1:4]
    assert [line.strip() for line in ranking] == [
        '1. Croissant Express: "your train, your bread": 4 dots, from carol',
        "2. Le Quai du Pain: 2 dots, from bob",
        "3. The Early Crumb: 2 dots, from dan",
    ]
    assert transcript.count(first_line("holdup.refuse.own_idea", number=2)) == 1
    assert transcript.count(first_line("holdup.refuse.over_budget", left=0, points=1)) == 1
    followup = first_line(
        "holdup.posts.followup",
        requester=alice,
        problem=problem,
        text="We opened as Croissant Express, slogan included. Thank you all!",
        contributors=[],
    )
    assert transcript.index(f"{SPACE}] Terreau: {followup}") > outcome
