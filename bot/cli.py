"""`terreau run | check | db upgrade`: the operator's command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from bot.app import create_app
from bot.clock import FastClock, SystemClock
from bot.config import ConfigError, Secrets, Settings, check_secrets, load_settings
from bot.logs import configure_logging
from bot.ports import ChatPlatform, Clock
from bot.prompts import PromptError, Prompts
from bot.scheduling import next_fire_times, parse_cron
from bot.storage import Database
from bot.storage.migrate import SchemaOutdated, require_current_schema, schema_status, upgrade

if TYPE_CHECKING:
    from adapters.console import ConsoleAdapter, LineSource

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_INVALID = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INVALID
    try:
        if args.command == "check":
            return _check(args.config, sys.stdout)
        if args.command == "db":
            return asyncio.run(_db_upgrade(args.config))
        settings, prompts = _load(args.config)
        secrets = Secrets.from_env(os.environ)
        _log_for_run(args, settings, secrets)
        return asyncio.run(_run(args, settings, prompts, secrets))
    except (ConfigError, PromptError, SchemaOutdated, StartupError) as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130


class StartupError(Exception):
    """Terreau cannot start with this configuration; the message says why and what to do."""


def _parser() -> argparse.ArgumentParser:
    default_config = os.environ.get("TERREAU_CONFIG", "terreau.toml")
    parser = argparse.ArgumentParser(
        prog="terreau", description="Terreau, a community engagement bot for Discord and Slack."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_config(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--config",
            type=Path,
            default=Path(default_config),
            help=f"the operator config file (default: {default_config}, or $TERREAU_CONFIG)",
        )

    run = commands.add_parser("run", help="run the bot (the console chat when no tokens are set)")
    with_config(run)
    run.add_argument("--script", type=Path, help="replay a console script instead of reading stdin")
    run.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="run the clock this many times faster (e.g. 3600: an hour a second)",
    )
    run.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="with --speed, the instant the clock starts at (ISO 8601; default: now)",
    )
    run.add_argument("--as", dest="speaker", help="the console member you speak as")
    run.add_argument(
        "--log-file",
        type=Path,
        help="write the log here (default: stderr; terreau.log while chatting in the console)",
    )
    check = commands.add_parser(
        "check", help="validate the config and prompts, and show upcoming schedules"
    )
    with_config(check)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    with_config(db_commands.add_parser("upgrade", help="migrate the database to this version"))
    return parser


def _load(config: Path) -> tuple[Settings, Prompts]:
    settings = load_settings(config)
    prompts = Prompts.load(settings.prompts_dir)
    problems = content_problems(settings, prompts)
    if problems:
        raise ConfigError(config, problems)
    return settings, prompts


def content_problems(settings: Settings, prompts: Prompts) -> list[tuple[str, str]]:
    """Return (key path, message) for each ritual whose pool is missing in its language."""
    problems = []
    for index, community in enumerate(settings.communities):
        pools = prompts.catalog(community.language).pools()
        for position, ritual in enumerate(community.posts.schedules):
            if ritual.pool not in pools:
                problems.append(
                    (
                        f"communities[{index}].posts.schedules[{position}].pool",
                        f"unknown content pool {ritual.pool!r} in prompts/{community.language}/"
                        f" (known: {', '.join(sorted(pools))})",
                    )
                )
    return problems


def _check(config: Path, out: TextIO) -> int:
    settings, prompts = _load(config)
    now = datetime.now(UTC)
    print(
        f"{config}: valid ({len(settings.communities)} communities, prompts in "
        f"{', '.join(prompts.languages)})",
        file=out,
    )
    for community in settings.communities:
        zone = ZoneInfo(community.timezone)
        print(
            f"\n{community.key}  {community.name!r}  ({community.language}, {community.timezone})",
            file=out,
        )
        if not community.posts.schedules:
            print("  no scheduled posts", file=out)
        for ritual in community.posts.schedules:
            runs = next_fire_times(parse_cron(ritual.cron), zone, now, 3)
            shown = ", ".join(run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for run in runs)
            print(
                f"  {ritual.name}: '{ritual.cron}' in #{ritual.channel} from pool {ritual.pool!r}",
                file=out,
            )
            print(f"    next: {shown}", file=out)
    return EXIT_OK


async def _db_upgrade(config: Path) -> int:
    settings = load_settings(config)
    secrets = Secrets.from_env(os.environ)
    configure_logging(settings.log_level, secrets.values())
    url = secrets.database_url(settings.database_url)
    await upgrade(url)
    current, head = await schema_status(url)
    print(f"database is at revision {current} (head {head})")
    return EXIT_OK


def _log_for_run(args: argparse.Namespace, settings: Settings, secrets: Secrets) -> None:
    log_file = args.log_file
    chatting = args.script is None and sys.stdin.isatty()
    if log_file is None and chatting and any(c.platform == "console" for c in settings.communities):
        log_file = Path("terreau.log")
        print(f"Terreau's log goes to {log_file}; type /help for the console syntax.")
    stream = log_file.open("a", encoding="utf-8") if log_file is not None else None
    configure_logging(settings.log_level, secrets.values(), stream=stream)
    logging.getLogger("alembic").setLevel(logging.WARNING)


async def _run(
    args: argparse.Namespace, settings: Settings, prompts: Prompts, secrets: Secrets
) -> int:
    url = secrets.database_url(settings.database_url)
    await require_current_schema(url)
    clock: Clock = SystemClock()
    if args.speed != 1.0 or args.start is not None:
        start = args.start
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        clock = FastClock(args.speed, start)
    platforms, console = _platforms(settings, secrets, clock, args)
    database = await Database.connect(url, clock=clock)
    app = await create_app(
        settings, database=database, prompts=prompts, platforms=platforms, clock=clock
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await app.start()
    try:
        waiters: list[asyncio.Task[Any]] = [asyncio.create_task(stopping.wait())]
        if console is not None:
            waiters.append(asyncio.create_task(console.finished()))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
    finally:
        await app.stop()
    return EXIT_OK


def _platforms(
    settings: Settings, secrets: Secrets, clock: Clock, args: argparse.Namespace
) -> tuple[dict[str, ChatPlatform], ConsoleAdapter | None]:
    from adapters.console import ConsoleAdapter, lines_from_file, lines_from_stdin

    platforms: dict[str, ChatPlatform] = {}
    slack = _slack_platform(settings, secrets, clock)
    if slack is not None:
        platforms["slack"] = slack
    wanted = {community.platform for community in settings.communities}
    unserved = sorted(wanted - {"console", "slack"})
    if unserved:
        raise StartupError(
            f"{args.config}: communities on {', '.join(unserved)} are configured, but this "
            "version of Terreau ships only the console and Slack adapters; remove those "
            "communities or run a version with that adapter"
        )
    consoles = [community for community in settings.communities if community.platform == "console"]
    if len(consoles) > 1:
        raise StartupError(
            f"{args.config}: {len(consoles)} console communities are configured; the console "
            "adapter serves one"
        )
    if not consoles:
        return platforms, None
    community = consoles[0]
    source: LineSource
    if args.script is not None:
        try:
            source = lines_from_file(args.script)
        except OSError as error:
            raise StartupError(f"cannot read the script {args.script}: {error}") from error
    else:
        source = lines_from_stdin()
    console = ConsoleAdapter(
        community=community.community(),
        channels=community.channels,
        clock=clock,
        input=source,
        output=sys.stdout,
        speaker=args.speaker or settings.console.member,
        moderators=settings.console.moderators,
        echo_input=args.script is not None or not sys.stdin.isatty(),
    )
    platforms["console"] = console
    return platforms, console


def _slack_platform(settings: Settings, secrets: Secrets, clock: Clock) -> ChatPlatform | None:
    """Return the Slack adapter serving every Slack community, or None if there is none."""
    communities = [c for c in settings.communities if c.platform == "slack"]
    if not communities:
        return None
    check_secrets(settings, secrets)
    from adapters.slack import SlackAdapter, Workspace

    workspaces = [
        Workspace(
            team_id=community.id,
            token=secrets.slack_bot_token_for(community.id) or "",
            moderator_groups=community.moderator_roles,
        )
        for community in communities
    ]
    slack = settings.slack
    return SlackAdapter(
        workspaces=workspaces,
        clock=clock,
        mode=slack.mode,
        api_base=slack.api_base,
        app_token=secrets.slack_app_token,
        signing_secret=secrets.slack_signing_secret,
        http_host=slack.http_host,
        http_port=slack.http_port,
    )
