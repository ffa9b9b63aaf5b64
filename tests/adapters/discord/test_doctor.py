"""`terreau doctor` against the fake Discord server: intents, membership, permissions, roles."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.cli_doctor import examine
from bot.config import Secrets, Settings, parse_settings
from bot.doctor import Finding, Words, healthy, render_findings
from bot.prompts import Prompts
from bot.storage.migrate import upgrade
from tests.adapters.discord.conftest import GENERAL, GUILD, PROMPTS_DIR, Running
from tests.adapters.discord.fake_discord import BOT_ID, FakeDiscord, payload

pytestmark = [pytest.mark.discord, pytest.mark.ops]

MODS = "1187654321098765501"
WINNER = "1187654321098765800"
BOT_ROLE = "1187654321098765801"
MANAGE_ROLES = 1 << 28
SEND_MESSAGES = 1 << 11
ATTACH_FILES = 1 << 15
TOKEN = "fake.bot.token"
EN = Prompts.load(PROMPTS_DIR).catalog("en")

CONFIG = """
database_url = "sqlite+aiosqlite:///{db}"

[discord]
api_base = "{api_base}"
gateway_url = "{gateway_url}"
members_intent = true
message_content = {content}

[[communities]]
platform = "discord"
id = "{guild}"
name = "Les Jardiniers"
channels = {{ general = "{general}", moderators = "{mods}" }}

[[communities.posts.schedules]]
name = "question"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
thread = true

[communities.report]
digest_cron = "0 8 * * 1"

[communities.election]
enabled = true
{winner}
"""


def settings_for(
    server: FakeDiscord,
    path: Path,
    *,
    content: bool = False,
    winner: bool = False,
    extra: str = "",
) -> Settings:
    text = CONFIG.format(
        db=path / "terreau.db",
        api_base=server.api_base,
        gateway_url=server.gateway_url,
        content=str(content).lower(),
        guild=GUILD,
        general=GENERAL,
        mods=MODS,
        winner=f'winner_role = "{WINNER}"' if winner else "",
    )
    return parse_settings(text + extra, path / "terreau.toml")


def with_roles(*, bot_permissions: int, bot_position: int, winner_position: int) -> dict[str, Any]:
    """The configured guild with a winner role and the bot's own role, placed as asked."""
    data = payload("guild_create")
    role = dict(data["roles"][1], hoist=False, permissions="0")
    data["roles"] += [
        dict(role, id=WINNER, name="Member of the month", position=winner_position),
        dict(role, id=BOT_ROLE, name="Terreau", position=bot_position, managed=True,
             permissions=str(bot_permissions)),
    ]  # fmt: skip
    bot = next(m for m in data["members"] if m["user"]["id"] == BOT_ID)
    bot["roles"] = [BOT_ROLE]
    return data


def synced(server: FakeDiscord) -> None:
    """What the adapter's start-up leaves on Discord: /terreau registered in the guild."""
    server.commands[GUILD] = [{"name": "terreau", "id": "1", "type": 1}]


async def doctor(server: FakeDiscord, path: Path, **flags: Any) -> list[Finding]:
    settings = settings_for(server, path, **flags)
    await upgrade(settings.database_url)
    return await examine(settings, Secrets(discord_token=TOKEN), path / "terreau.toml")


def keys(findings: list[Finding], status: str) -> list[str]:
    return [finding.key for finding in findings if finding.status == status]


async def test_a_guild_that_terreau_ran_in_is_healthy(
    running: Running, server: FakeDiscord, tmp_path: Path
) -> None:
    await running.start()  # the real adapter syncs /terreau as it starts
    await running.stop()

    findings = await doctor(server, tmp_path, content=True)

    assert healthy(findings), render_findings(findings, EN, {})
    assert "discord.commands_synced" in keys(findings, "ok")
    assert keys(findings, "ok").count("discord.intent_ok") == 2
    [general] = [f for f in findings if f.key == "discord.channel_ok" and f.variables["purpose"]
                 == "general"]  # fmt: skip
    assert "permission_create_public_threads" in general.variables["permissions"].keys  # type: ignore[attr-defined]
    text = render_findings(findings, EN, {})
    assert EN.text("doctor.summary.healthy") in text


async def test_intents_the_config_asks_for_but_the_portal_lacks(
    server: FakeDiscord, tmp_path: Path
) -> None:
    server.application_flags = 0
    synced(server)

    findings = await doctor(server, tmp_path, content=True)

    missing = [f.variables["intent"] for f in findings if f.key == "discord.intent_missing"]
    assert missing == ["members_intent", "message_content"]
    assert not healthy(findings)


async def test_an_intent_the_config_leaves_off_is_a_note_not_a_problem(
    server: FakeDiscord, tmp_path: Path
) -> None:
    synced(server)

    findings = await doctor(server, tmp_path, content=False)

    [note] = [f for f in findings if f.key == "discord.intent_off"]
    assert note.status == "note" and note.variables == {
        "intent": "message_content",
        "enabled": True,
    }
    assert healthy(findings)


async def test_permissions_denied_by_a_channel_overwrite_are_named_with_their_use(
    server: FakeDiscord, tmp_path: Path
) -> None:
    guild = server.guilds[0]
    general, mods = guild["channels"]
    everyone = {"id": GUILD, "type": 0, "allow": "0"}
    general["permission_overwrites"] = [dict(everyone, deny=str(SEND_MESSAGES))]
    mods["permission_overwrites"] = [dict(everyone, deny=str(ATTACH_FILES))]
    synced(server)

    findings = await doctor(server, tmp_path)

    denied = {f.variables["purpose"]: f for f in findings if f.key == "discord.channel_denied"}
    # As on Discord, a member who cannot send messages cannot embed links either.
    assert denied["general"].variables["permissions"] == Words(
        ("permission_send_messages", "permission_embed_links")
    )
    assert denied["general"].variables["why"] == Words(("why_posting",))
    assert denied["moderators"].variables["permissions"] == Words(("permission_attach_files",))
    assert denied["moderators"].variables["why"] == Words(("why_charts",))
    text = render_findings(findings, EN, {})
    assert EN.text("doctor.labels.permission_send_messages") in text
    assert EN.text("doctor.summary.problems", count=2) in text


async def test_an_overwrite_for_the_bots_own_role_gives_back_what_everyone_lacks(
    server: FakeDiscord, tmp_path: Path
) -> None:
    server.guilds = [with_roles(bot_permissions=0, bot_position=4, winner_position=3)]
    general = server.guilds[0]["channels"][0]
    general["permission_overwrites"] = [
        {"id": GUILD, "type": 0, "allow": "0", "deny": str(SEND_MESSAGES)},
        {"id": BOT_ROLE, "type": 0, "allow": str(SEND_MESSAGES), "deny": "0"},
    ]
    synced(server)

    findings = await doctor(server, tmp_path)

    assert "discord.channel_denied" not in keys(findings, "problem")


@pytest.mark.parametrize(
    ("permissions", "bot_position", "expected"),
    [
        (MANAGE_ROLES, 4, "discord.role_ok"),
        (0, 4, "discord.manage_roles_missing"),
        (MANAGE_ROLES, 2, "discord.role_above"),
    ],
)
async def test_the_winner_role_needs_manage_roles_and_the_bots_role_above_it(
    permissions: int, bot_position: int, expected: str, server: FakeDiscord, tmp_path: Path
) -> None:
    server.guilds = [
        with_roles(bot_permissions=permissions, bot_position=bot_position, winner_position=3)
    ]
    synced(server)

    findings = await doctor(server, tmp_path, winner=True)

    [role] = [f for f in findings if f.key.startswith(("discord.role", "discord.manage_roles"))]
    assert role.key == expected
    assert (role.status == "ok") is (expected == "discord.role_ok")


async def test_a_winner_role_that_does_not_exist(server: FakeDiscord, tmp_path: Path) -> None:
    synced(server)

    findings = await doctor(server, tmp_path, winner=True)

    assert "discord.role_missing" in keys(findings, "problem")


async def test_a_server_the_bot_is_not_in_gets_an_invitation_link(
    server: FakeDiscord, tmp_path: Path
) -> None:
    server.guilds = []

    findings = await doctor(server, tmp_path)

    [problem] = [f for f in findings if f.key == "discord.not_in_guild"]
    invite = str(problem.variables["invite"])
    assert f"client_id={BOT_ID}" in invite and "applications.commands" in invite
    assert "permissions=" in invite


async def test_commands_never_synced(server: FakeDiscord, tmp_path: Path) -> None:
    findings = await doctor(server, tmp_path)

    assert "discord.commands_missing" in keys(findings, "problem")


async def test_a_refused_token(server: FakeDiscord, tmp_path: Path) -> None:
    server.token = "another.token"

    findings = await doctor(server, tmp_path)

    assert keys(findings, "problem") == ["discord.token_refused"]


async def test_no_token_says_which_variable_to_set(server: FakeDiscord, tmp_path: Path) -> None:
    settings = settings_for(server, tmp_path)
    await upgrade(settings.database_url)

    findings = await examine(settings, Secrets(), tmp_path / "terreau.toml")

    [problem] = [f for f in findings if f.status == "problem"]
    assert problem.key == "secrets.missing" and problem.variables == {"variable": "DISCORD_TOKEN"}
    assert server.requests == []


class Background:
    """The fake server on its own event loop, for commands that run `asyncio.run` themselves."""

    def __init__(self) -> None:
        self.server = FakeDiscord()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeDiscord:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(30)
        return self.server

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()


@pytest.fixture
def background() -> Iterator[FakeDiscord]:
    with Background() as server:
        yield server


def test_the_exit_code_is_zero_only_when_all_is_well(
    background: FakeDiscord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(background, tmp_path)
    config = tmp_path / "terreau.toml"
    config.write_text(
        CONFIG.format(
            db=tmp_path / "terreau.db",
            api_base=background.api_base,
            gateway_url=background.gateway_url,
            content="false",
            guild=GUILD,
            general=GENERAL,
            mods=MODS,
            winner="",
        ),
        encoding="utf-8",
    )
    asyncio.run(upgrade(settings.database_url))
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)

    assert main(["doctor", "--config", str(config)]) == 1
    assert EN.text("doctor.summary.problems", count=1) in capsys.readouterr().out

    synced(background)

    assert main(["doctor", "--config", str(config), "--language", "fr"]) == 0
    fr = Prompts.load(PROMPTS_DIR).catalog("fr")
    assert fr.text("doctor.summary.healthy") in capsys.readouterr().out


@pytest.mark.parametrize(
    ("permissions", "expected"),
    [(0, "discord.manage_guild_missing"), (1 << 5, "discord.invite_counts_ok")],
)
async def test_attributing_joins_to_members_links_needs_manage_server(
    permissions: int, expected: str, server: FakeDiscord, tmp_path: Path
) -> None:
    server.guilds = [with_roles(bot_permissions=permissions, bot_position=4, winner_position=3)]
    synced(server)

    findings = await doctor(server, tmp_path, extra="\n[communities.invites]\nenabled = true\n")

    [counts] = [f for f in findings if f.key in (
        "discord.manage_guild_missing", "discord.invite_counts_ok")]  # fmt: skip
    assert counts.key == expected
    assert (counts.status == "ok") is (expected == "discord.invite_counts_ok")
