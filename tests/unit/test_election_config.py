"""`[communities.election]`: defaults, validation, and errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from bot.config import CommunityConfig, ConfigError, load_settings, parse_settings
from bot.features.election import ElectionConfig
from tests.unit.test_config import BASE, EXAMPLES, line_of, only_problem

pytestmark = pytest.mark.election


def test_elections_are_off_by_default_with_documented_rules() -> None:
    community = parse_settings(BASE, Path("terreau.toml")).communities[0]
    assert community.section(ElectionConfig) == ElectionConfig()
    rules = community.section(ElectionConfig)
    assert not rules.enabled
    assert (rules.opens, rules.nomination_hours, rules.voting_hours) == ("0 9 1 * *", 120, 72)
    assert (rules.method, rules.tie_policy, rules.runoff_hours) == ("single", "co_winners", 24)
    assert (rules.rest_months, rules.min_tenure_days, rules.min_interactions) == (3, 14, 1)
    assert (rules.activity_days, rules.moderators_eligible, rules.member_left) == (
        30,
        False,
        "keep",
    )
    assert (rules.channel, rules.winner_role) == ("general", None)


def test_the_example_enables_an_election() -> None:
    rules = load_settings(EXAMPLES / "terreau.toml").communities[0].section(ElectionConfig)
    assert rules.enabled and rules.channel == "general" and rules.min_tenure_days == 0


@pytest.mark.parametrize(
    ("lines", "path", "message", "fragment"),
    [
        (
            'enabled = true\nchannel = "elections"',
            "communities[0].election.channel",
            'channel "elections" is not a configured purpose (configured: general, moderators)',
            'channel = "elections"',
        ),
        (
            'opens = "0 9 32 * *"',
            "communities[0].election.opens",
            'invalid cron expression "0 9 32 * *": day-of-month field "32": must be 1-31',
            "opens",
        ),
        (
            'method = "borda"',
            "communities[0].election.method",
            "expected 'single' or 'ranked', got \"borda\"",
            "method",
        ),
        (
            'tie_policy = "coin"',
            "communities[0].election.tie_policy",
            "expected 'co_winners', 'runoff' or 'moderators', got \"coin\"",
            "tie_policy",
        ),
        (
            "voting_hours = 0",
            "communities[0].election.voting_hours",
            "must be at least 1, got 0",
            "voting_hours",
        ),
        (
            "rest_month = 2",
            "communities[0].election.rest_month",
            "unknown key 'rest_month' (did you mean 'rest_months'?)",
            "rest_month",
        ),
    ],
)
def test_bad_election_keys_are_reported_with_their_line(
    lines: str, path: str, message: str, fragment: str
) -> None:
    text = BASE + "\n[communities.election]\n" + lines + "\n"
    problem = only_problem(text)
    assert (problem.path, problem.message, problem.line) == (path, message, line_of(text, fragment))


def test_a_disabled_election_does_not_check_its_channel() -> None:
    text = BASE + '\n[communities.election]\nchannel = "elections"\n'
    assert (
        not parse_settings(text, Path("terreau.toml"))
        .communities[0]
        .section(ElectionConfig)
        .enabled
    )


def test_models_built_in_code_check_the_channel_too() -> None:
    with pytest.raises(pydantic.ValidationError, match="not a configured purpose"):
        CommunityConfig(
            platform="console",
            id="demo",
            name="Demo",
            election=ElectionConfig(enabled=True, channel="lobby"),
        )


def test_a_config_error_is_raised_not_swallowed() -> None:
    with pytest.raises(ConfigError):
        parse_settings(BASE + "\n[communities.election]\nenabled = 1\n", Path("terreau.toml"))
