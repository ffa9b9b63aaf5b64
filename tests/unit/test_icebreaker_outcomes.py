"""Conversion figures, question choice by interest, topics and config of the icebreaker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_settings
from bot.features.icebreaker import IcebreakerConfig, conversions
from bot.features.icebreaker._topics import fitting_items, interests_of, without_duds
from bot.features.me import parse_topics
from bot.prompts import ContentItem
from bot.storage import Invitation

pytestmark = pytest.mark.icebreaker

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def invitation(
    n: int, *, responded: timedelta | None, retained: bool | None, prompt: str = "q"
) -> Invitation:
    return Invitation(
        id=n,
        community_id=1,
        member_id=f"m{n}",
        kind="invitation",
        prompt=prompt,
        channel_id="general",
        level="quiet",
        sent_at=T0,
        responded_at=None if responded is None else T0 + responded,
        retained=retained,
    )


def test_conversion_counts_only_invitations_old_enough_to_tell() -> None:
    rows = [
        invitation(1, responded=HOUR, retained=None),
        invitation(2, responded=50 * HOUR, retained=None),
        invitation(3, responded=None, retained=None),
    ]
    [young] = conversions(rows, T0 + 60 * HOUR, lambda r: r.kind)
    assert (young.within_48h.known, young.within_48h.converted) == (3, 1)
    # The third may still answer within 7 days: it is not counted yet.
    assert (young.within_7d.known, young.within_7d.converted) == (2, 2)
    assert young.after_30d.percent is None

    [week] = conversions(rows, T0 + timedelta(days=8), lambda r: r.kind)
    assert week.sent == 3
    assert (week.within_48h.percent, week.within_7d.percent) == (33, 67)

    settled = [
        invitation(1, responded=HOUR, retained=True),
        invitation(2, responded=50 * HOUR, retained=False, prompt="other"),
    ]
    by_prompt = conversions(settled, T0 + timedelta(days=31), lambda r: r.prompt)
    assert [(c.label, c.after_30d.percent) for c in by_prompt] == [("other", 0), ("q", 100)]


def test_questions_fit_the_interests_of_most_invitees() -> None:
    items = [
        ContentItem(id="a", text="A", tags=("tools",)),
        ContentItem(id="b", text="B", tags=("hobbies", "fun")),
        ContentItem(id="c", text="C", tags=("fun",)),
    ]
    interests = interests_of(
        {"ann": frozenset({"fun"})},
        {"bea": frozenset({"games"}), "cal": frozenset({"random"})},
        {"games": ("hobbies",)},
        ["ann", "bea", "cal"],
    )
    assert interests == {
        "ann": frozenset({"fun"}),
        "bea": frozenset({"hobbies"}),
        "cal": frozenset(),
    }
    assert fitting_items(items, interests) == ["b"]
    assert fitting_items(items, {"cal": frozenset()}) == ["a", "b", "c"]


def test_topics_are_slugs() -> None:
    assert parse_topics("Tools, learning  tools;fun") == (["tools", "learning", "fun"], [])
    assert parse_topics("ok bad!") == (["ok"], ["bad!"])


COMMUNITY = """
[[communities]]
platform = "console"
id = "demo"
name = "Demo"
channels = { general = "general" }
"""


def test_icebreaker_config_defaults_and_problems(tmp_path: Path) -> None:
    settings = parse_settings(COMMUNITY, tmp_path / "t.toml")
    config = settings.communities[0].section(IcebreakerConfig)
    assert not config.enabled and config.max_invitees == 3 and config.cooldown_days == 14
    assert config.quiet_window() is not None

    bad = COMMUNITY + (
        '[communities.icebreaker]\nenabled = true\nchannel = "lobby"\n'
        'quiet_hours = "10pm-8am"\nschedule = "every day"\n'
        "[communities.icebreaker.levels]\nactive_days = 20\n"
    )
    with pytest.raises(ConfigError) as error:
        parse_settings(bad, tmp_path / "t.toml")
    text = str(error.value)
    assert 'communities[0].icebreaker.channel: channel "lobby" is not a configured purpose' in text
    assert 'expected "HH:MM-HH:MM"' in text
    assert "invalid cron expression" in text
    assert "active_days (20) must not exceed core_days (12)" in text


def test_questions_that_never_worked_here_are_dropped_while_others_remain() -> None:
    worked = {"a": (3, 0), "b": (2, 0), "c": (5, 1)}
    assert without_duds(["a", "b", "c"], worked) == ["b", "c"]
    assert without_duds(["a"], worked) == ["a"]
