"""`[communities.privacy]`: retention defaults and the rules between them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, ConfigProblem, parse_settings
from bot.features.privacy import PrivacyConfig

pytestmark = pytest.mark.privacy

BASE = """
[[communities]]
platform = "console"
id = "demo"
name = "Demo"
"""


def problems(extra: str) -> tuple[ConfigProblem, ...]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(BASE + extra, Path("terreau.toml"))
    return caught.value.problems


def test_defaults_keep_the_log_13_months_and_text_30_days() -> None:
    privacy = parse_settings(BASE, Path("terreau.toml")).communities[0].section(PrivacyConfig)
    assert (privacy.retention_days, privacy.content_retention_days) == (395, 30)
    assert privacy.rollup_retention_days > privacy.retention_days
    assert privacy.departure_grace_days == 30


def test_text_cannot_outlive_the_log_it_belongs_to() -> None:
    [problem] = problems(
        "[communities.privacy]\nretention_days = 20\ncontent_retention_days = 40\n"
    )
    assert problem.path == "communities[0].privacy"
    assert "content_retention_days (40) cannot be longer than retention_days (20)" in str(problem)


def test_rollups_cannot_go_before_the_log() -> None:
    [problem] = problems("[communities.privacy]\nrollup_retention_days = 100\n")
    assert "rollup_retention_days (100) cannot be shorter than retention_days (395)" in str(problem)


@pytest.mark.parametrize(
    ("line", "path", "message"),
    [
        ('purge_cron = "3 * *"', "communities[0].privacy.purge_cron", "invalid cron expression"),
        ("retention_days = 0", "communities[0].privacy.retention_days", "at least 1"),
        ("keep_forever = true", "communities[0].privacy.keep_forever", ""),
    ],
)
def test_bad_values_are_named_with_their_key(line: str, path: str, message: str) -> None:
    [problem] = problems(f"[communities.privacy]\n{line}\n")
    assert problem.path == path
    assert message in str(problem)
    assert problem.line == 7
