"""The live section: off by default, bad values and unknown channels named with key and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_settings
from bot.features.live import LiveConfig, parse_start

pytestmark = pytest.mark.live

COMMUNITY = """
[[communities]]
platform = "console"
id = "demo"
name = "Demo"
timezone = "Europe/Paris"
channels = { general = "general" }
"""


def problems(text: str, tmp_path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_settings(COMMUNITY + text, tmp_path / "terreau.toml")
    return str(raised.value)


def test_live_sessions_are_off_with_every_key_defaulted() -> None:
    config = LiveConfig()
    assert not config.enabled and config.schedules == []
    assert (config.channel, config.minutes, config.remind_minutes) == ("general", 60, 15)


def test_unknown_channels_and_bad_schedules_are_named_with_their_lines(tmp_path: Path) -> None:
    found = problems(
        """
[communities.live]
enabled = true
voice_channel = "stage"

[[communities.live.schedules]]
name = "founders"
title = "Ask the founders"
cron = "every thursday"
hosts = []
""",
        tmp_path,
    )
    assert 'line 11, communities[0].live.voice_channel: channel "stage"' in found
    assert "communities[0].live.schedules[0].cron" in found
    assert "communities[0].live.schedules[0].hosts" in found


def test_a_start_reads_as_a_date_and_time_or_the_next_such_time() -> None:
    now = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)  # 19:30 in Paris
    assert parse_start("2026-12-10T18:00", "Europe/Paris", now) == datetime(
        2026, 12, 10, 17, 0, tzinfo=UTC
    )
    assert parse_start("20:00", "Europe/Paris", now) == datetime(2026, 11, 26, 19, 0, tzinfo=UTC)
    assert parse_start("18:00", "Europe/Paris", now) == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert parse_start("25:00", "Europe/Paris", now) is None
    assert parse_start("tomorrow", "Europe/Paris", now) is None
