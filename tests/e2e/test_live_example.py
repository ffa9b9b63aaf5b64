"""examples/live.script, replayed with the command in its header: a live session end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_examples import replay

pytestmark = pytest.mark.live


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder where the header's relative paths (examples/...) resolve."""
    (tmp_path / "examples").symlink_to(Path(__file__).parents[2] / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.timeout(600)
def test_a_session_is_announced_reminded_held_and_summed_up(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = replay("live.script", capsys)

    assert "error:" not in transcript
    listed = transcript.index("event 1 scheduled: Ask the founders, Thu 18:00 to Thu 18:30")
    reminders = [
        transcript.index(f"(DM to {member}) Terreau: Ask the founders starts")
        for member in ("bob", "carol")
    ]
    started = transcript.index("Terreau: Ask the founders starts now, with @alice")
    assert listed < min(reminders) and max(reminders) < started
    # Carol's question is shown as she typed it, and without her name.
    hostile = "Is the free plan going away? **really** @everyone <@123>"
    assert f"Terreau: #2: {hostile}" in transcript
    assert "(only bob sees) Terreau: You cannot upvote your own question." in transcript
    first = transcript.index("Now answering #1 from @bob (2 upvotes)")
    second = transcript.index(f"Now answering #2 (1 upvote): {hostile}")
    # The question under way when the session ends counts as answered; Dan's last is open.
    summary = transcript.index("3 questions asked, 2 answered, 1 left open, 3 participants.")
    followup = transcript.index("(DM to alice) Terreau: Ask the founders: the questions left open")
    assert "Will there be a mobile app?" in transcript[followup:]
    assert started < first < second < summary < followup
    assert transcript.count("is over. Thank you all!") == 1
