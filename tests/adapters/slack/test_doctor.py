"""`terreau doctor` against the fake Slack: token types, scopes, Socket Mode, channels."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli_doctor import examine
from bot.config import Secrets, Settings, parse_settings
from bot.doctor import Finding, Words, healthy, render_findings
from bot.prompts import Prompts
from bot.storage.migrate import upgrade
from tests.adapters.slack.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    MANIFEST_SCOPES,
    TEAM,
    FakeSlack,
)

pytestmark = [pytest.mark.slack, pytest.mark.ops]

EN = Prompts.load(Path(__file__).parents[3] / "prompts").catalog("en")

CONFIG = """
database_url = "sqlite+aiosqlite:///{db}"

[slack]
api_base = "{api_base}"
mode = "{mode}"
http_port = {port}

[[communities]]
platform = "slack"
id = "{team}"
name = "Acme"
moderator_roles = ["S0MODS"]
channels = {{ general = "C0GENERAL", moderators = "C0MODS" }}

[communities.icebreaker]
enabled = true
"""


async def settings_for(
    fake: FakeSlack, path: Path, *, mode: str = "socket", port: int = 3000, team: str = TEAM
) -> Settings:
    text = CONFIG.format(
        db=path / "terreau.db", api_base=fake.api_base, mode=mode, port=port, team=team
    )
    settings = parse_settings(text, path / "terreau.toml")
    await upgrade(settings.database_url)
    return settings


async def doctor(
    fake: FakeSlack,
    path: Path,
    *,
    bot: str | None = BOT_TOKEN,
    app: str | None = APP_TOKEN,
    signing: str | None = None,
    **options: object,
) -> list[Finding]:
    settings = await settings_for(fake, path, **options)  # type: ignore[arg-type]
    secrets = Secrets(slack_bot_token=bot, slack_app_token=app, slack_signing_secret=signing)
    return await examine(settings, secrets, path / "terreau.toml")


def problems(findings: list[Finding]) -> list[str]:
    return [finding.key for finding in findings if finding.status == "problem"]


async def test_an_app_installed_from_the_manifest_is_healthy(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    findings = await doctor(fake_slack, tmp_path)

    assert healthy(findings), render_findings(findings, EN, {})
    oks = [finding.key for finding in findings if finding.status == "ok"]
    assert {"slack.socket_ok", "slack.auth_ok", "slack.scopes_ok"} <= set(oks)
    assert oks.count("slack.channel_ok") == 2


async def test_missing_scopes_are_named_with_the_feature_that_needs_them(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    granted = set(MANIFEST_SCOPES) - {"im:write", "usergroups:read", "reactions:read"}
    fake_slack.scopes[BOT_TOKEN] = tuple(sorted(granted))

    findings = await doctor(fake_slack, tmp_path)

    missing = {f.variables["scope"]: f.variables["why"] for f in findings
               if f.key == "slack.scope_missing"}  # fmt: skip
    assert missing == {
        "reactions:read": Words(("why_reactions",)),
        "im:write": Words(("why_dms",)),
        "usergroups:read": Words(("why_moderator_groups",)),
    }
    text = render_findings(findings, EN, {})
    assert EN.text("doctor.labels.why_dms") in text
    assert EN.text("doctor.summary.problems", count=3) in text


async def test_a_channel_the_bot_was_never_invited_to(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.outside.add("C0MODS")

    findings = await doctor(fake_slack, tmp_path)

    [problem] = [f for f in findings if f.status == "problem"]
    assert problem.key == "slack.channel_outside"
    assert problem.variables == {"channel": "C0MODS", "purpose": "moderators"}


@pytest.mark.parametrize(
    ("bot", "app", "expected"),
    [
        (APP_TOKEN, APP_TOKEN, ["slack.token_kind"]),  # the app token pasted as the bot's
        ("xoxb-unknown", APP_TOKEN, ["slack.auth_failed"]),
        (BOT_TOKEN, "xapp-1-revoked", ["slack.socket_failed"]),
        (BOT_TOKEN, BOT_TOKEN, ["slack.token_kind"]),
        (None, APP_TOKEN, ["secrets.missing"]),
        (BOT_TOKEN, None, ["secrets.missing"]),
    ],
)
async def test_tokens_of_the_wrong_kind_or_refused(
    bot: str | None, app: str | None, expected: list[str], fake_slack: FakeSlack, tmp_path: Path
) -> None:
    findings = await doctor(fake_slack, tmp_path, bot=bot, app=app)

    assert problems(findings) == expected


async def test_a_bot_token_of_another_workspace(fake_slack: FakeSlack, tmp_path: Path) -> None:
    findings = await doctor(fake_slack, tmp_path, team="T0OTHER")

    [problem] = [f for f in findings if f.status == "problem"]
    assert problem.key == "slack.wrong_team"
    assert problem.variables == {"team": TEAM, "expected": "T0OTHER"}


async def test_http_mode_needs_the_signing_secret_and_a_free_port(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        findings = await doctor(fake_slack, tmp_path, mode="http", port=port, app=None)

    assert problems(findings) == ["secrets.missing"]
    [busy] = [f for f in findings if f.key == "slack.http_busy"]
    assert busy.status == "note" and busy.variables == {"address": f"127.0.0.1:{port}"}

    findings = await doctor(fake_slack, tmp_path, mode="http", port=port, app=None, signing="s")

    assert healthy(findings)
    assert "slack.http_ok" in [f.key for f in findings]
