"""`terreau doctor`: the database and every configured platform, checked with the real tokens.

Exit code 0 only when nothing needs fixing, 1 when a check found a problem (each
printed with its fix), 2 when the config itself is invalid (as `terreau check`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from bot.config import Secrets, Settings
from bot.doctor import Finding, PlatformProbe, examine_database, healthy, render_findings
from bot.logs import configure_logging
from bot.prompts import Prompts

log = logging.getLogger(__name__)

EXIT_HEALTHY = 0
EXIT_PROBLEMS = 1

Load = Callable[[Path], tuple[Settings, Prompts]]


def add_parser(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_config: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `doctor` to the command line."""
    doctor = commands.add_parser(
        "doctor",
        help="check the database and each platform with the real tokens",
        description="Connect to the database and to each configured platform with the tokens "
        "set in the environment, and say in plain words what is missing and how to fix it: "
        "Discord intents, server membership, channel permissions, the winner role, /terreau "
        "registered; Slack token types, scopes, Socket Mode or the HTTP port, the bot in each "
        "channel; the database reachable and its schema current. Exit code 0 only when all is "
        "well, 1 when something needs fixing, 2 when the config is invalid.",
    )
    with_config(doctor)
    doctor.add_argument(
        "--language", choices=("en", "fr"), default="en", help="the language of the report"
    )


def run(args: argparse.Namespace, *, load: Load, environ: Mapping[str, str], out: TextIO) -> int:
    """Check everything the config needs; print the findings; return the exit code."""
    settings, prompts = load(args.config)
    secrets = Secrets.from_env(environ)
    # The report is the output: the log (stderr) says only what went wrong beyond it.
    configure_logging("WARNING", secrets.values(), log_format=settings.log_format)
    findings = asyncio.run(examine(settings, secrets, args.config))
    catalog = prompts.catalog(args.language)
    titles = {
        community.key: catalog.text(
            "doctor.sections.community", community=community.key, name=community.name
        )
        for community in settings.communities
    }
    print(render_findings(findings, catalog, titles), file=out)
    return EXIT_HEALTHY if healthy(findings) else EXIT_PROBLEMS


async def examine(settings: Settings, secrets: Secrets, config: Path) -> list[Finding]:
    """Return the findings on the database, then on each platform the config uses."""
    findings = await examine_database(secrets.database_url(settings.database_url), config)
    platforms = {community.platform for community in settings.communities}
    probes: list[PlatformProbe] = []
    if "discord" in platforms:
        if secrets.discord_token is None:
            findings.append(_missing("discord", "DISCORD_TOKEN"))
        else:
            from adapters.discord.doctor import DiscordProbe

            probes.append(
                DiscordProbe(
                    token=secrets.discord_token,
                    settings=settings.discord,
                    communities=settings.communities,
                )
            )
    if "slack" in platforms:
        from adapters.slack.doctor import SlackProbe

        probes.append(
            SlackProbe(
                settings=settings.slack,
                communities=settings.communities,
                bot_tokens={
                    community.id: secrets.slack_bot_token_for(community.id)
                    for community in settings.communities
                    if community.platform == "slack"
                },
                app_token=secrets.slack_app_token,
                signing_secret=secrets.slack_signing_secret,
            )
        )
    for probe in probes:
        findings.extend(await probe.examine())
    findings.extend(
        Finding(section=community.key, status="note", key="console.nothing")
        for community in settings.communities
        if community.platform == "console"
    )
    return findings


def _missing(section: str, variable: str) -> Finding:
    return Finding(
        section=section, status="problem", key="secrets.missing", variables={"variable": variable}
    )
