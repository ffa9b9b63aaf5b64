"""`terreau privacy export | forget`: members' requests received outside the chat."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.app import create_app
from bot.clock import SystemClock
from bot.config import ConfigError, ConfigProblem, Settings
from bot.features.privacy import PrivacyService
from bot.prompts import Prompts
from bot.storage import Database
from bot.storage.migrate import require_current_schema


def add_parser(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_config: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `privacy export` and `privacy forget` to the command line."""
    privacy = commands.add_parser(
        "privacy", help="export or erase a member's data (requests received outside the chat)"
    )
    actions = privacy.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write everything kept about a member to a file")
    forget = actions.add_parser("forget", help="erase a member's data (their opt-outs are kept)")
    for sub in (export, forget):
        with_config(sub)
        sub.add_argument(
            "--community", required=True, help="the community key, e.g. discord:123456789012345678"
        )
        sub.add_argument("--member", required=True, help="the member's platform id")
    export.add_argument("--out", type=Path, help="where to write the JSON file")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")


async def run(
    args: argparse.Namespace,
    settings: Settings,
    prompts: Prompts,
    url: str,
    *,
    out: TextIO,
    answers: TextIO,
) -> int:
    """Carry out one privacy request; return the exit code."""
    known = [community.key for community in settings.communities]
    if args.community not in known:
        raise ConfigError(
            args.config,
            [
                ConfigProblem(
                    path="--community",
                    message=f"unknown community {args.community!r} (known: {', '.join(known)})",
                )
            ],
        )
    await require_current_schema(url)
    database = await Database.connect(url)
    try:
        app = await create_app(
            settings,
            database=database,
            prompts=prompts,
            platforms={},
            clock=SystemClock(),
            offline=True,
        )
        service = PrivacyService(app)
        if args.privacy_command == "export":
            path = await service.export(args.community, args.member, operator=True)
            if args.out is not None:
                shutil.move(path, args.out)
                path = args.out
            print(f"Data of member {args.member} in {args.community} written to {path}", file=out)
            return 0
        if not args.yes:
            print(
                f"Erase the data of member {args.member} in {args.community}? "
                "Their opt-outs are kept. Type 'yes' to confirm: ",
                end="",
                file=out,
                flush=True,
            )
            if answers.readline().strip().lower() != "yes":
                print("Nothing was erased.", file=out)
                return 1
        counts = await service.forget(args.community, args.member, operator=True)
        details = ", ".join(f"{name}: {count}" for name, count in counts.items() if count)
        total = sum(counts.values())
        print(
            f"Erased {total} rows ({details})." if total else "There was nothing to erase.",
            file=out,
        )
        return 0
    finally:
        await database.close()
