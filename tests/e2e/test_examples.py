"""The README's example scripts, replayed with the exact commands in their headers.

A replay must print the outcome the README describes (no `error:` line, posts in
their order, an election won on real votes) and the same transcript on every run,
at any `--speed`. Expected posts are rendered from prompts/ by the console's own
renderer, so the checks follow the wording wherever it goes.
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.console.render import Frame, render_post
from bot.cli import main
from bot.domain import Mention, Post
from bot.prompts import Prompts

pytestmark = pytest.mark.core

REPO = Path(__file__).parents[2]
EXAMPLES = REPO / "examples"
CATALOG = Prompts.load(REPO / "prompts").catalog("en")
ANY = "PLACEHOLDER"


def header_command(script: Path) -> list[str]:
    """Return the `terreau run ...` arguments written in the script's header comment."""
    for line in script.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        command = line.lstrip("#").strip()
        if command.startswith("terreau run "):
            return shlex.split(command)[1:]
    raise AssertionError(f"{script.name}: no `terreau run` command in its header")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder where the header's relative paths (examples/...) resolve."""
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def replay(name: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    assert main([*header_command(EXAMPLES / name), *extra]) == 0
    return capsys.readouterr().out


def shown(post: Post) -> str:
    """Return how the console shows a bot post in #general, from its author on."""
    frame = Frame(
        number=0,
        when=datetime(2026, 1, 1, tzinfo=UTC),
        tz=UTC,
        author="Terreau",
        channel_id="general",
    )
    return "Terreau: " + render_post(post, frame).split("Terreau: ", 1)[1]


def first_line_pattern(key: str, **variables: object) -> re.Pattern[str]:
    """Return a pattern for the first line of a post, `ANY` standing for any text."""
    line = shown(CATALOG.post(key, **variables)).split("\n", 1)[0]
    return re.compile(re.escape(line).replace(ANY, ".+?"), re.MULTILINE)


def position(pattern: re.Pattern[str], transcript: str) -> int:
    found = [match.start() for match in pattern.finditer(transcript)]
    assert len(found) == 1, (pattern.pattern, len(found))
    return found[0]


def test_the_demo_replays_without_errors_in_order_and_the_same_at_any_speed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = replay("demo.script", capsys)
    assert "error:" not in transcript
    assert replay("demo.script", capsys, "--speed", "36000000") == transcript

    # The question of the week is labelled, answered and reacted to by its number.
    labelled = re.search(r"/label question last  \(#(\d+)\)", transcript)
    assert labelled is not None
    assert f"alice (reply to #{labelled.group(1)}): I keep a notebook" in transcript

    # Each trivia question is shown before its answer, and its answer before the next one.
    order = []
    for number in (1, 2, 3):
        question = first_line_pattern(
            "games.trivia.question",
            number=number,
            total=3,
            question=ANY,
            difficulty=ANY,
            multiple_choice=True,
            closes_at=datetime(2026, 11, 23, 11, 1, tzinfo=UTC),
            timezone="Europe/Paris",
        )
        reveal = first_line_pattern(
            "games.trivia.reveal",
            number=number,
            answer=ANY,
            explanation=None,
            answers=0,
            correct=0,
            first=None,
            winners=[],
            more=0,
            bonus=5,
        )
        order += [position(question, transcript), position(reveal, transcript)]
    assert order == sorted(order)

    # Alice clicked the right answer of the first question within its minute.
    scored = CATALOG.post(
        "games.trivia.reveal",
        number=1,
        answer=ANY,
        explanation=ANY,
        answers=2,
        correct=1,
        first="alice",
        winners=["alice"],
        more=0,
        bonus=5,
    )
    assert re.search(re.escape(shown(scored)).replace(ANY, ".+?"), transcript)


def test_the_election_is_won_on_real_votes(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = replay("election.script", capsys)
    assert "error:" not in transcript
    result = CATALOG.post(
        "election.posts.result",
        resolution="winner",
        winners=[Mention(member_id="bob", display_name="bob")],
        reasons=["answers every question from newcomers", 'he\'s rewritten the docs, "twice"'],
        nominees=["bob", "carol"],
        ballots=3,
        eligible=3,
        period="2026-11",
        runoff=False,
    )
    assert transcript.count(shown(result)) == 1
    fame = CATALOG.post("election.hall_of_fame", winners=[{"name": "bob", "period": "2026-11"}])
    assert shown(fame) in transcript
