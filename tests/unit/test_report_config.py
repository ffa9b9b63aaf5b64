"""`[communities.report]`: defaults, and clear errors naming the key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, parse_settings
from bot.features.report import ReportConfig

pytestmark = pytest.mark.report

BASE = """
[[communities]]
platform = "console"
id = "demo"
name = "Demo"
channels = { general = "general" }
"""


def test_reports_need_no_configuration() -> None:
    settings = parse_settings(BASE, Path("terreau.toml"))
    report = settings.communities[0].section(ReportConfig)
    assert report.digest_cron is None and not report.nudge
    assert report.unanswered_after_hours == 24 and report.exclude_members == ()


@pytest.mark.parametrize(
    ("table", "where", "message", "line"),
    [
        (
            'digest_cron = "0 9 * * 1"',
            "communities[0].report.channel",
            'the digest goes to channel purpose "moderators", which is not configured '
            "(configured: general)",
            8,  # the table: the channel key itself is not in the file
        ),
        (
            'digest_cron = "0 9 * * 9"\nchannel = "general"',
            "communities[0].report.digest_cron",
            "invalid cron",
            9,
        ),
        ("unanswered_after_hours = 0", "communities[0].report.unanswered_after_hours", "1", 9),
        ("nudges = true", "communities[0].report.nudges", "did you mean 'nudge'", 9),
    ],
)
def test_bad_report_settings_are_named(
    tmp_path: Path, table: str, where: str, message: str, line: int
) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(BASE + "\n[communities.report]\n" + table + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    [problem] = caught.value.problems
    assert problem.path == where
    assert message in problem.message
    assert problem.line == line
