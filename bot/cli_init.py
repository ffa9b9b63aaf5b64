"""`terreau init`: ask about the community, then write a commented, validated terreau.toml.

The file is written to a temporary file beside the target, validated with the same
checks as `terreau check`, and only then moved into place, so an interruption at any
moment (Ctrl-C, the end of the input, a failed check) leaves nothing half-written.
An existing file is replaced only after the operator says yes, or with `--force`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.config import ConfigError
from bot.config._models import DEFAULT_PROMPTS_DIR
from bot.onboarding import (
    AUDIENCES,
    BENEFITS,
    LANGUAGES,
    MEETINGS,
    PLATFORMS,
    Aborted,
    Answers,
    Dialogue,
    Given,
    InitProblem,
    Plan,
    Problem,
    Questions,
    config_text,
    recommend,
    secret_variables,
)
from bot.prompts import Catalog, PromptError, Prompts

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_STOPPED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130

Validate = Callable[[Path], object]


def add_parser(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_config: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `init` to the command line."""
    init = commands.add_parser(
        "init",
        help="write a commented terreau.toml from a few questions about the community",
        description="Ask about the community (who, why, how many, what members get, how they "
        "meet), then where it lives, and write a commented terreau.toml whose features follow "
        "from the answers. Every question has a flag; with --defaults, nothing is asked.",
    )
    with_config(init)
    init.add_argument("--language", choices=LANGUAGES, help="the community's language")
    init.add_argument("--audience", choices=AUDIENCES, help="who the community gathers")
    init.add_argument("--purpose", help="what the community is for, in one sentence")
    init.add_argument("--name", help="the community's name")
    init.add_argument("--size", type=int, help="how many members it has today")
    init.add_argument("--benefit", choices=BENEFITS, help="what a member gets from it, above all")
    init.add_argument("--meeting", choices=MEETINGS, help="how members already meet")
    init.add_argument("--timezone", help="an IANA timezone, e.g. Europe/Paris")
    init.add_argument("--platform", choices=PLATFORMS, help="where the community lives")
    init.add_argument("--id", dest="community_id", help="the Discord server or Slack workspace id")
    init.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="PURPOSE=ID",
        help="the channel serving a purpose: general, moderators or games (repeatable)",
    )
    init.add_argument(
        "--defaults", action="store_true", help="ask nothing: take the default of each answer"
    )
    init.add_argument(
        "--force", action="store_true", help="replace an existing config file without asking"
    )


def run(
    args: argparse.Namespace,
    *,
    answers: TextIO,
    out: TextIO,
    validate: Validate,
    prompts_dir: Path = DEFAULT_PROMPTS_DIR,
) -> int:
    """Ask, write and validate the config file; return the exit code."""
    prompts = Prompts.load(prompts_dir)
    dialogue = Dialogue(prompts.catalog("en"), answers, out)
    path: Path = args.config
    try:
        given = _given(args)
        questions = Questions(prompts, dialogue, interactive=not args.defaults)
        language = questions.language(given)
        replace = path.exists()
        if replace and not args.force:
            if args.defaults:
                dialogue.problem(Problem("exists", {"path": str(path)}))
                return EXIT_INVALID
            if not dialogue.confirm("overwrite", path=str(path)):
                dialogue.say("errors.stopped")
                return EXIT_STOPPED
        community = questions.gather(given, language)
        plan = recommend(community)
        text = config_text(community, plan, dialogue.catalog)
        if not path.parent.is_dir():
            dialogue.problem(Problem("no_folder", {"path": str(path)}))
            return EXIT_INVALID
        try:
            write_config(path, text, validate, replace=replace)
        except FileExistsError:
            dialogue.problem(Problem("exists", {"path": str(path)}))
            return EXIT_INVALID
        except (ConfigError, PromptError) as error:
            dialogue.say("errors.invalid")
            print(error, file=out)
            return EXIT_INVALID
    except InitProblem as problem:
        dialogue.problem(problem.problem)
        return EXIT_INVALID
    except Aborted:
        dialogue.say("errors.stopped")
        return EXIT_STOPPED
    except KeyboardInterrupt:
        out.write("\n")
        dialogue.say("errors.stopped")
        return EXIT_INTERRUPTED
    _summary(dialogue.catalog, out, path, community, plan)
    return EXIT_OK


def write_config(path: Path, text: str, validate: Validate, *, replace: bool) -> None:
    """Write `text` to `path` only once it validates; never leave a partial file.

    Without `replace`, an existing file is never touched (it may have appeared
    while the questions were asked): `FileExistsError` is raised instead.
    """
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.chmod(0o644)
        validate(temporary)
        if replace:
            temporary.replace(path)
        else:
            os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _given(args: argparse.Namespace) -> Given:
    channels: dict[str, str] = {}
    for pair in args.channel:
        purpose, separator, channel = pair.partition("=")
        if not separator or not purpose.strip() or not channel.strip():
            raise InitProblem(Problem("purpose", {"value": pair}))
        channels[purpose.strip()] = channel.strip()
    return Given(
        language=args.language,
        audience=args.audience,
        purpose=args.purpose,
        name=args.name,
        size=args.size,
        benefit=args.benefit,
        meeting=args.meeting,
        timezone=args.timezone,
        platform=args.platform,
        community_id=args.community_id,
        channels=channels,
    )


def _summary(catalog: Catalog, out: TextIO, path: Path, answers: Answers, plan: Plan) -> None:
    def say(key: str, **variables: object) -> None:
        print(catalog.text(f"init.{key}", **variables), file=out)

    print(file=out)
    say("done.written", path=str(path))
    say("done.rituals", names=", ".join(ritual.name for ritual in plan.rituals))
    for feature, on, reason in (
        ("games", plan.games, plan.games_reason),
        ("icebreaker", plan.icebreaker, plan.icebreaker_reason),
        ("election", plan.election, plan.election_reason),
        ("digest", plan.digest, plan.digest_reason),
    ):
        say(
            "done.feature",
            feature=catalog.text(f"init.features.{feature}"),
            on=on,
            reason=catalog.text(f"init.reasons.{reason}"),
        )
    names = secret_variables(answers.platform)
    if names:
        print(file=out)
        say("done.secrets", names=", ".join(names))
    print(file=out)
    say("done.next", path=str(path))
