"""Every election message renders in both languages with the variables the feature passes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Mention
from bot.prompts import Prompts

pytestmark = pytest.mark.election

PROMPTS = Prompts.load(Path(__file__).parents[2] / "prompts")
WHEN = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
COMMON = {
    "member": "Alice",
    "timezone": "Europe/Paris",
    "closes_at": WHEN,
    "voting_opens_at": WHEN,
    "updated_at": WHEN,
    "next_opening": WHEN,
    "eligible_on": WHEN,
    "nominee": "Bob",
    "nominees": ["Bob", "Carol"],
    "tied": ["Bob", "Carol"],
    "method": "ranked",
    "ranking": ["Bob", "Carol"],
    "left": ["Dan"],
    "period": "2026-12",
    "phase": "nominating",
    "days": 14,
    "needed": 2,
    "count": 0,
    "won": "2026-11",
    "months": 3,
    "back": "2027-03",
    "winners": [Mention(member_id="bob", display_name="Bob")],
    "reasons": ["kind", "funny"],
    "ballots": 3,
    "eligible": 5,
    "resolution": "co_winners",
    "runoff": False,
    "election": 1,
    "role": "Star",
    "reason": "forbidden",
    "error": "403 Missing Permissions",
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_election_message_renders(language: str) -> None:
    catalog = PROMPTS.catalog(language)
    keys = catalog.keys("election.")
    assert len(keys) > 30
    for key in keys:
        variables = dict(COMMON)
        if key == "election.hall_of_fame":
            variables["winners"] = [{"name": "Bob", "period": "2026-11"}]
        text = catalog.text(key, **variables)
        assert text.strip() and "{{" not in text, (language, key)


@pytest.mark.parametrize("resolution", ["winner", "co_winners", "decided", "no_votes"])
def test_the_result_reads_well_for_each_resolution(resolution: str) -> None:
    post = PROMPTS.catalog("en").post(
        "election.posts.result", **{**COMMON, "resolution": resolution}
    )
    text = post.plain_text()
    numbers = {int(number) for number in re.findall(r"\d+", text)}
    if resolution == "no_votes":
        # Nobody won: the nominees are thanked, no winner is named, no reason quoted.
        assert "@Bob" not in text and "> kind" not in text and "Carol" in text
        assert post.text != PROMPTS.catalog("en").post("election.posts.result", **COMMON).text
    else:
        # The winner is named, the reasons quoted, and the turnout given: 3 of 5, 60%.
        assert "@Bob" in text and "> kind" in text and "> funny" in text
        assert {3, 5, 60} <= numbers
    assert post.mentions == (
        () if resolution == "no_votes" else (Mention(member_id="bob", display_name="Bob"),)
    )


def test_french_dates_and_typography() -> None:
    french = PROMPTS.catalog("fr")
    text = french.text("election.ballot.voted", **COMMON)
    assert french.format_datetime(WHEN, "Europe/Paris", "datetime") in text
    assert "\u00a0:" in PROMPTS.catalog("fr").text("election.refuse.nominee_bot", **COMMON)
