"""examples/groups.script, replayed with the command in its header: a group forms, then rests.

It also shows a newcomer saying who brought them (`/join erin via carol`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain import Mention
from tests.e2e.test_examples import CATALOG, replay, shown

pytestmark = [pytest.mark.groups, pytest.mark.invites]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder where the header's relative paths (examples/...) resolve."""
    (tmp_path / "examples").symlink_to(Path(__file__).parents[2] / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.timeout(600)
def test_the_group_opens_with_its_members_then_is_archived_after_its_silence(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = replay("groups.script", capsys)

    assert "error:" not in transcript
    members = [Mention(member_id=m, display_name=m) for m in ("alice", "bob", "carol")]
    opened = shown(
        CATALOG.post(
            "groups.posts.opened",
            topic="Rust",
            why="to read the book together, a chapter a week",
            members=members,
        )
    ).split("\n", 1)[0]
    opening = transcript.index("#rust (private) opened for alice, bob, carol")
    assert transcript.index(opened.removeprefix("Terreau: ")) > opening
    assert "#rust added for dan" in transcript
    silent = transcript.index("This group on Rust has been quiet for 14 days.")
    archived = transcript.index("#rust archived")
    assert opening < silent < archived
    assert transcript.count("#rust archived") == 1
    # Erin named Carol; Carol never asked Terreau for anything: shown to her alone.
    assert "(only carol sees) Terreau: @erin just joined, thanks to you." in transcript
    empty = shown(CATALOG.post("groups.list", groups=[])).removeprefix("Terreau: ")
    assert transcript.rindex(empty) > archived
