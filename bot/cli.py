"""`terreau run | check | db upgrade | privacy`: the operator's command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot import cli_doctor, cli_init, cli_privacy
from bot.app import create_app
from bot.clock import FastClock, SystemClock, VirtualClock
from bot.commands import CommandRegistry
from bot.config import ConfigError, Secrets, Settings, check_secrets, load_settings
from bot.features import registry
from bot.logs import close_log_file, configure_logging
from bot.observability import Metrics
from bot.ports import ChatPlatform, Clock, StartupFailed
from bot.prompts import PromptError, Prompts
from bot.replay import Replay
from bot.storage import Database
from bot.storage.migrate import SchemaOutdated, require_current_schema, schema_status, upgrade

if TYPE_CHECKING:
    from adapters.console import ConsoleAdapter, LineSource

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_INVALID = 2
DEFAULT_CONSOLE_LOG = "terreau.log"
"""Where the log goes while a console community runs, unless `--log-file` says otherwise."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INVALID
    try:
        if args.command == "init":
            return cli_init.run(args, answers=sys.stdin, out=sys.stdout, validate=_load)
        if args.command == "doctor":
            return cli_doctor.run(args, load=_load, environ=os.environ, out=sys.stdout)
        if args.command == "check":
            return _check(args.config, sys.stdout)
        if args.command == "db":
            return asyncio.run(_db_upgrade(args.config))
        if args.command == "privacy":
            return _privacy(args)
        if args.command == "report":
            return asyncio.run(_report(args))
        settings, prompts = _load(args.config)
        if args.script is not None:
            settings = _console_only(settings, args.config)
        secrets = Secrets.from_env(os.environ)
        check_secrets(settings, secrets)
        _log_for_run(args, settings, secrets)
        try:
            return asyncio.run(_run(args, settings, prompts, secrets))
        finally:
            close_log_file()
    except (ConfigError, PromptError, SchemaOutdated, StartupError, StartupFailed) as error:
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

    cli_init.add_parser(commands, with_config)
    run = commands.add_parser("run", help="run the bot (the console chat when no tokens are set)")
    with_config(run)
    run.add_argument(
        "--script",
        type=Path,
        help="replay a console script on virtual time and a fresh database, instead of stdin",
    )
    run.add_argument(
        "--speed",
        type=_positive_speed,
        help="run the clock this many times faster (e.g. 3600: an hour a second); "
        "with --script, only how fast the replay plays",
    )
    run.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="with --speed or --script, the instant the clock starts at (ISO 8601; default: now)",
    )
    run.add_argument("--as", dest="speaker", help="the console member you speak as")
    run.add_argument(
        "--log-file",
        type=Path,
        help="write the log here, or - for stderr (default: terreau.log when a console "
        "community runs, else stderr)",
    )
    check = commands.add_parser(
        "check", help="validate the config and prompts, and show upcoming schedules"
    )
    with_config(check)
    cli_doctor.add_parser(commands, with_config)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    with_config(db_commands.add_parser("upgrade", help="migrate the database to this version"))
    cli_privacy.add_parser(commands, with_config)
    report = commands.add_parser("report", help="write a community's report as one HTML file")
    with_config(report)
    report.add_argument("--community", required=True, help="the community id (or platform:id)")
    report.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    report.add_argument("--period", help="week, month, quarter, 30d, 4w, or 2026-10-01..2026-10-31")
    report.add_argument("--channel", help="one channel id to report on alone")
    return parser


def _positive_speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not speed > 0 or speed == float("inf"):
        raise argparse.ArgumentTypeError(f"the speed must be a positive number, not {text}")
    return speed


def _privacy(args: argparse.Namespace) -> int:
    settings, prompts = _load(args.config)
    secrets = Secrets.from_env(os.environ)
    configure_logging(settings.log_level, secrets.values(), log_format=settings.log_format)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    url = secrets.database_url(settings.database_url)
    return asyncio.run(
        cli_privacy.run(args, settings, prompts, url, out=sys.stdout, answers=sys.stdin)
    )


def _load(config: Path) -> tuple[Settings, Prompts]:
    settings = load_settings(config)
    prompts = Prompts.load(settings.prompts_dir)
    features = registry()
    problems = [
        problem
        for feature in features
        if feature.content_problems is not None
        for problem in feature.content_problems(settings, prompts)
    ]
    if problems:
        raise ConfigError(config, problems)
    for feature in features:
        if feature.validate is not None:
            feature.validate(settings)  # content files: PromptError naming file, line and field
    return settings, prompts


def _check(config: Path, out: TextIO, *, now: datetime | None = None) -> int:
    settings, prompts = _load(config)
    now = now if now is not None else datetime.now(UTC)
    checked = sorted(
        (feature for feature in registry() if feature.check is not None),
        key=lambda feature: feature.order if feature.check_order is None else feature.check_order,
    )
    checks = [feature.check(settings, now) for feature in checked if feature.check is not None]
    print(
        f"{config}: valid ({len(settings.communities)} communities, prompts in "
        f"{', '.join(prompts.languages)})",
        file=out,
    )
    for community in settings.communities:
        print(
            f"\n{community.key}  {community.name!r}  ({community.language}, {community.timezone})",
            file=out,
        )
        notice = settings.unread_text_notice(community)
        if notice is not None:
            print(f"  message text: {notice}", file=out)
        for lines in checks:
            for line in lines(community):
                print(f"  {line}", file=out)
    return EXIT_OK


async def _db_upgrade(config: Path) -> int:
    settings = load_settings(config)
    secrets = Secrets.from_env(os.environ)
    configure_logging(settings.log_level, secrets.values(), log_format=settings.log_format)
    url = secrets.database_url(settings.database_url)
    await upgrade(url)
    current, head = await schema_status(url)
    print(f"database is at revision {current} (head {head})")
    return EXIT_OK


async def _report(args: argparse.Namespace) -> int:
    from bot.features.report import (
        ReportUnavailable,
        find_community,
        html_report,
        stored_community,
    )

    settings, prompts = _load(args.config)
    secrets = Secrets.from_env(os.environ)
    configure_logging(settings.log_level, secrets.values(), log_format=settings.log_format)
    url = secrets.database_url(settings.database_url)
    await require_current_schema(url)
    database = await Database.connect(url)
    try:
        community = find_community(settings, args.community)
        await stored_community(database, community)
        # An app that never starts: its features register the figures they add to reports.
        await create_app(
            settings,
            database=database,
            prompts=prompts,
            platforms={},
            clock=SystemClock(),
            offline=True,
        )
        result = await html_report(
            prompts.catalog(community.language),
            database,
            community,
            period_text=args.period,
            channel_id=args.channel,
            now=datetime.now(UTC),
        )
    except ReportUnavailable as error:
        raise StartupError(f"terreau report: {error}") from None
    finally:
        await database.close()
    args.out.write_text(result.html, encoding="utf-8")
    print(
        f"{args.out}: report of {community.key}, {result.period.start} to {result.period.last_day}"
    )
    return EXIT_OK


def _log_for_run(args: argparse.Namespace, settings: Settings, secrets: Secrets) -> None:
    """Send the log where it does not mix with the chat.

    The console prints the chat (typed, piped or replayed) on stdout, so with a
    console community the log goes to `terreau.log` unless `--log-file` says
    otherwise (`-` for stderr); without one it goes to stderr.
    """
    log_file = args.log_file
    stream: TextIO | None = None
    if log_file is None and any(c.platform == "console" for c in settings.communities):
        log_file = Path(DEFAULT_CONSOLE_LOG)
        if args.script is None and sys.stdin.isatty():
            print(f"Terreau's log goes to {log_file}; type /help for the console syntax.")
        else:
            print(f"Terreau's log goes to {log_file}.", file=sys.stderr)
    if log_file is not None and str(log_file) != "-":
        stream = log_file.open("a", encoding="utf-8")
    configure_logging(
        settings.log_level, secrets.values(), stream=stream, log_format=settings.log_format
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


async def _run(
    args: argparse.Namespace, settings: Settings, prompts: Prompts, secrets: Secrets
) -> int:
    if args.script is None:
        url = secrets.database_url(settings.database_url)
        await require_current_schema(url)
        return await _serve(args, settings, prompts, secrets, url, _live_clock(args), None)
    # A script is a scenario of its own: it starts from an empty database, so the same
    # script gives the same transcript, and the operator's data is left untouched.
    with tempfile.TemporaryDirectory(prefix="terreau-script-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'script.db'}"
        await upgrade(url)
        replay = Replay(VirtualClock(_start_instant(args)), speed=args.speed)
        log.info(
            "replaying %s from %s on a fresh database (other platforms left out)",
            args.script,
            replay.clock.now().isoformat(),
        )
        return await _serve(args, settings, prompts, secrets, url, replay.clock, replay)


def _live_clock(args: argparse.Namespace) -> Clock:
    if args.speed is None and args.start is None:
        return SystemClock()
    return FastClock(args.speed or 1.0, _start_instant(args))


def _start_instant(args: argparse.Namespace) -> datetime:
    start: datetime = args.start or datetime.now(UTC)
    return start if start.tzinfo is not None else start.replace(tzinfo=UTC)


def _console_only(settings: Settings, config: Path) -> Settings:
    """Keep the console community alone: a script replays the console, nothing else."""
    consoles = tuple(c for c in settings.communities if c.platform == "console")
    if not consoles:
        raise StartupError(
            f"{config}: --script replays a console community, and none is configured"
        )
    return settings.model_copy(update={"communities": consoles})


async def _serve(
    args: argparse.Namespace,
    settings: Settings,
    prompts: Prompts,
    secrets: Secrets,
    url: str,
    clock: Clock,
    replay: Replay | None,
) -> int:
    commands = CommandRegistry()
    metrics = Metrics()
    platforms, console = _platforms(settings, secrets, clock, args, replay)
    platforms.update(_discord_platform(settings, secrets, clock, prompts, commands, metrics))
    database = await Database.connect(url, clock=clock)
    app = await create_app(
        settings,
        database=database,
        prompts=prompts,
        platforms=platforms,
        clock=clock,
        commands=commands,
        metrics=metrics,
    )
    if replay is not None:
        replay.attach(app)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await app.start()
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
    settings: Settings,
    secrets: Secrets,
    clock: Clock,
    args: argparse.Namespace,
    replay: Replay | None,
) -> tuple[dict[str, ChatPlatform], ConsoleAdapter | None]:
    from adapters.console import ConsoleAdapter, lines_from_file, lines_from_stdin
    from adapters.matrix import matrix_platform

    platforms: dict[str, ChatPlatform] = {}
    slack = _slack_platform(settings, secrets, clock)
    if slack is not None:
        platforms["slack"] = slack
    matrix = matrix_platform(settings, secrets, clock)
    if matrix is not None:
        platforms["matrix"] = matrix
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
        # The console is a local chat: it has a #general even when no channel is configured.
        channels=community.channels or {"general": "general"},
        clock=clock,
        input=source,
        output=sys.stdout,
        speaker=args.speaker or settings.console.member,
        moderators=settings.console.moderators,
        echo_input=args.script is not None or not sys.stdin.isatty(),
        replay=replay,
    )
    platforms["console"] = console
    return platforms, console


def _discord_platform(
    settings: Settings,
    secrets: Secrets,
    clock: Clock,
    prompts: Prompts,
    commands: CommandRegistry,
    metrics: Metrics | None = None,
) -> dict[str, ChatPlatform]:
    """Return the Discord adapter when a community is on Discord (check_secrets saw the token)."""
    if secrets.discord_token is None or not any(
        community.platform == "discord" for community in settings.communities
    ):
        return {}
    from adapters.discord import DiscordAdapter

    adapter = DiscordAdapter(
        token=secrets.discord_token,
        settings=settings.discord,
        communities=settings.communities,
        commands=commands,
        prompts=prompts,
        clock=clock,
        gateway_observer=metrics,
    )
    return {"discord": adapter}


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
