"""`terreau run` on Slack: secrets checked up front, then a real process on the fake server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from adapters.slack import SlackAdapter
from bot.cli import _slack_platform
from bot.clock import SystemClock
from bot.config import ConfigError, Secrets, check_secrets, parse_settings
from tests.adapters.slack.fake_slack import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlack
from tests.fakes import until

pytestmark = [pytest.mark.slack, pytest.mark.cli]

TWO = """
[[communities]]
platform = "slack"
id = "T0AAAAAAA"
name = "A"

[[communities]]
platform = "slack"
id = "T0BBBBBBB"
name = "B"
moderator_roles = ["S0MODS"]
"""


def test_missing_tokens_are_a_config_error() -> None:
    settings = parse_settings(TWO, Path("t.toml"))
    with pytest.raises(ConfigError) as caught:
        _slack_platform(settings, Secrets(slack_app_token="xapp-1"), SystemClock())
    messages = [problem.message for problem in caught.value.problems]
    assert any("SLACK_BOT_TOKEN" in message for message in messages)


def test_two_workspaces_cannot_share_one_bot_token() -> None:
    settings = parse_settings(TWO, Path("t.toml"))
    with pytest.raises(
        ConfigError, match="SLACK_BOT_TOKEN_T0AAAAAAA and SLACK_BOT_TOKEN_T0BBBBBBB"
    ):
        check_secrets(settings, Secrets(slack_bot_token="xoxb-1", slack_app_token="xapp-1"))


def test_each_workspace_gets_its_own_token() -> None:
    secrets = Secrets.from_env(
        {
            "SLACK_BOT_TOKEN_T0AAAAAAA": "xoxb-a",
            "SLACK_BOT_TOKEN": "xoxb-default",
            "SLACK_APP_TOKEN": "xapp-1",
        }
    )
    assert secrets.slack_bot_token_for("T0AAAAAAA") == "xoxb-a"
    assert secrets.slack_bot_token_for("T0BBBBBBB") == "xoxb-default"
    assert "xoxb-a" in secrets.values()
    assert "xoxb-a" not in repr(secrets)
    settings = parse_settings(TWO, Path("t.toml"))
    adapter = _slack_platform(settings, secrets, SystemClock())
    assert isinstance(adapter, SlackAdapter)


def test_http_mode_needs_the_signing_secret() -> None:
    settings = parse_settings('[slack]\nmode = "http"\n' + TWO, Path("t.toml"))
    secrets = Secrets(slack_workspace_tokens={"T0AAAAAAA": "a", "T0BBBBBBB": "b"})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        _slack_platform(settings, secrets, SystemClock())


def test_no_slack_community_no_adapter() -> None:
    settings = parse_settings(
        '[[communities]]\nplatform = "console"\nid = "demo"\nname = "D"\n', Path("t.toml")
    )
    assert _slack_platform(settings, Secrets(), SystemClock()) is None


async def _terreau(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_terreau_run_serves_a_workspace_over_socket_mode(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "t.db"}"\n'
        f'[slack]\napi_base = "{fake_slack.api_base}"\n'
        f'[[communities]]\nplatform = "slack"\nid = "{TEAM}"\nname = "Acme"\n'
        'channels = { general = "C0GENERAL" }\n'
    )
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "TERREAU_CONFIG": str(config),
    }
    upgrade = await _terreau("db", "upgrade", env=env)
    assert await upgrade.wait() == 0
    run = await _terreau("run", env=env)
    try:
        await until(lambda: bool(fake_slack.sockets))
        await fake_slack.push(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "command": "/terreau",
                    "text": "help",
                    "team_id": TEAM,
                    "channel_id": "C0GENERAL",
                    "user_id": "U0ALICE",
                    "user_name": "alice",
                    "trigger_id": "t-run-1",
                },
            }
        )
        await until(
            lambda: (
                bool(fake_slack.called("chat.postEphemeral")) and bool(fake_slack.acked("env-1"))
            )
        )
        [answer] = fake_slack.called("chat.postEphemeral")
        assert answer.params["user"] == "U0ALICE"
    finally:
        if run.returncode is None:
            run.send_signal(signal.SIGTERM)
        output, _ = await run.communicate()
    assert run.returncode == 0, output.decode()
    assert BOT_TOKEN.encode() not in output
