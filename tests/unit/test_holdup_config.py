"""`[communities.holdup]`: defaults, validation, and errors that name the key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings, parse_settings
from bot.features.holdup import HoldupConfig
from tests.unit.test_config import BASE, EXAMPLES, line_of, only_problem

pytestmark = pytest.mark.holdup


def test_hold_ups_are_off_by_default_with_documented_rules() -> None:
    rules = parse_settings(BASE, Path("terreau.toml")).communities[0].section(HoldupConfig)
    assert rules == HoldupConfig()
    assert not rules.enabled
    assert (rules.channel, rules.members_submit, rules.auto_approve) == ("general", True, False)
    assert (rules.ideas_hours, rules.vote_hours, rules.dots) == (48, 24, 3)
    assert (rules.hide_authors, rules.anonymous) == (True, False)


def test_the_example_enables_hold_ups() -> None:
    rules = load_settings(EXAMPLES / "terreau.toml").communities[0].section(HoldupConfig)
    assert rules.enabled and rules.channel == "general"


@pytest.mark.parametrize(
    ("lines", "path", "message", "fragment"),
    [
        (
            'enabled = true\nchannel = "brainstorms"',
            "communities[0].holdup.channel",
            'channel "brainstorms" is not a configured purpose (configured: general, moderators)',
            'channel = "brainstorms"',
        ),
        ("dots = 0", "communities[0].holdup.dots", "must be at least 1, got 0", "dots"),
        (
            "ideas_hours = 0",
            "communities[0].holdup.ideas_hours",
            "must be at least 1, got 0",
            "ideas_hours",
        ),
        (
            'auto_approve = "yes"',
            "communities[0].holdup.auto_approve",
            'expected true or false, got "yes"',
            "auto_approve",
        ),
        (
            "vote_hour = 2",
            "communities[0].holdup.vote_hour",
            "unknown key 'vote_hour' (did you mean 'vote_hours'?)",
            "vote_hour",
        ),
    ],
)
def test_bad_holdup_keys_are_reported_with_their_line(
    lines: str, path: str, message: str, fragment: str
) -> None:
    text = BASE + "\n[communities.holdup]\n" + lines + "\n"
    problem = only_problem(text)
    assert (problem.path, problem.message, problem.line) == (path, message, line_of(text, fragment))


def test_a_disabled_holdup_does_not_check_its_channel() -> None:
    text = BASE + '\n[communities.holdup]\nchannel = "brainstorms"\n'
    rules = parse_settings(text, Path("terreau.toml")).communities[0].section(HoldupConfig)
    assert not rules.enabled
