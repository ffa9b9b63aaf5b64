"""Every election message renders in both languages with the variables the feature passes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Mention
from bot.prompts import Prompts

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
    if resolution == "no_votes":
        assert "nobody voted this time" in text and "@Bob" not in text
    else:
        assert (
            "@Bob" in text
            and "> kind" in text
            and "3 members voted (60% of the 5 who could)." in text
        )
    assert post.mentions == (
        () if resolution == "no_votes" else (Mention(member_id="bob", display_name="Bob"),)
    )


def test_french_dates_and_typography() -> None:
    text = PROMPTS.catalog("fr").text("election.ballot.voted", **COMMON)
    assert "Vous pouvez le changer jusqu'au jeudi 3 décembre" in text
    assert "\u00a0:" in PROMPTS.catalog("fr").text("election.refuse.nominee_bot", **COMMON)
