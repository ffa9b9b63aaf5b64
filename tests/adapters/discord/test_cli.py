"""`terreau run` with a Discord community: the token is required, and the adapter runs."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path

import pytest

from adapters.discord.render import render
from bot.cli import EXIT_INVALID, EXIT_OK, _run, main
from bot.config import Secrets
from bot.prompts import Prompts
from bot.storage.migrate import upgrade
from tests.adapters.discord.conftest import PROMPTS_DIR, discord_settings
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import PromptLog, until

pytestmark = [pytest.mark.discord, pytest.mark.cli]


def test_a_discord_community_without_a_token_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(
        '[[communities]]\nplatform = "discord"\nid = "1187654321098765432"\nname = "Jardin"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)

    assert main(["run", "--config", str(config)]) == EXIT_INVALID

    error = capsys.readouterr().err
    assert "communities[0].platform" in error and "DISCORD_TOKEN" in error


@pytest.mark.parametrize("intent", [False, True])
def test_check_says_whether_typed_answers_are_read(
    intent: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(
        f"[discord]\nmessage_content = {str(intent).lower()}\n"
        '[[communities]]\nplatform = "discord"\nid = "1187654321098765432"\nname = "Jardin"\n',
        encoding="utf-8",
    )

    assert main(["check", "--config", str(config)]) == EXIT_OK

    notices = [line for line in capsys.readouterr().out.splitlines() if "message_content" in line]
    if intent:
        assert notices == []
    else:
        [notice] = notices
        assert "message text:" in notice and "trivia" in notice


async def test_terreau_run_serves_the_guild_until_stopped(
    server: FakeDiscord, tmp_path: Path
) -> None:
    settings = discord_settings(server, tmp_path)
    settings = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"}
    )
    await upgrade(settings.database_url)
    args = argparse.Namespace(speed=1.0, start=None, script=None, speaker=None, config=Path("x"))
    secrets = Secrets(discord_token="fake.bot.token")
    prompts = PromptLog(Prompts.load(PROMPTS_DIR))
    running = asyncio.create_task(_run(args, settings, prompts, secrets))  # type: ignore[arg-type]

    # Commands synced, then READY and GUILD_CREATE sent on the gateway.
    await until(lambda: bool(server.requests_to("PUT", "/commands")) and server.dispatched >= 2)
    await server.dispatch("INTERACTION_CREATE", payload("interaction_help"))
    await until(lambda: bool(server.requests_to("POST", "/interactions/")))
    os.kill(os.getpid(), signal.SIGTERM)

    assert await running == EXIT_OK
    [answer] = server.requests_to("POST", "/interactions/")
    shown = answer.body["data"]["content"]
    key, help_body = prompts.shown_as(lambda post: render(post)[0].content == shown, "groups")
    assert key == "messages.help.body"
    assert "posts" in [group["name"] for group in help_body["groups"]]  # type: ignore[attr-defined]
