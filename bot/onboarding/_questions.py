"""The questions of `terreau init`, in order: the community first, then where it lives.

Each answer may come from a command-line flag (checked like a typed answer), from
the terminal, or, with `--defaults`, from its default; an answer that has no
default and no flag is then an error naming the flag.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot._secret_patterns import token_env_var
from bot.onboarding._answers import (
    AUDIENCES,
    BENEFITS,
    LANGUAGES,
    MAX_SIZE,
    MEETINGS,
    PLATFORMS,
    Answers,
)
from bot.onboarding._dialogue import Dialogue, Problem
from bot.onboarding._plan import recommend
from bot.prompts import Prompts

T = TypeVar("T")

_DISCORD_ID = re.compile(r"[0-9]{15,21}")
_SLACK_TEAM = re.compile(r"[TE][A-Z0-9]{2,}")
_SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,}")
_CONSOLE_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
_CONSOLE_CHANNEL = re.compile(r"[\w.-]+")
DEFAULT_TIMEZONE = {"en": "UTC", "fr": "Europe/Paris"}
CONSOLE_CHANNELS = {"general": "general", "moderators": "moderators"}
OPTIONAL_PURPOSES = frozenset({"moderators", "games"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Given:
    """Answers given as command-line flags; None where the flag was left out."""

    language: str | None = None
    audience: str | None = None
    purpose: str | None = None
    name: str | None = None
    size: int | None = None
    benefit: str | None = None
    meeting: str | None = None
    timezone: str | None = None
    platform: str | None = None
    community_id: str | None = None
    channels: Mapping[str, str] = field(default_factory=dict)


class InitProblem(Exception):
    """An answer given as a flag is refused, or one is missing under `--defaults`."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem


def no_secret(text: str) -> Problem | None:
    """Refuse an answer that holds something shaped like a token."""
    variable = token_env_var(text)
    return None if variable is None else Problem("secret", {"variable": variable})


def timezone_problem(text: str) -> Problem | None:
    """Refuse a name that is not an IANA timezone, suggesting the closest one."""
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(text, sorted(available_timezones()), n=1)
        return Problem("timezone", {"value": text, "close": close[0] if close else ""})
    return None


def id_problem(platform: str) -> Callable[[str], Problem | None]:
    """Return the check of a server, workspace or console community id on `platform`."""
    shape = {"discord": _DISCORD_ID, "slack": _SLACK_TEAM, "console": _CONSOLE_ID}[platform]

    def check(text: str) -> Problem | None:
        return None if shape.fullmatch(text) else Problem(f"{platform}_id", {"value": text})

    return check


def channel_problem(platform: str) -> Callable[[str], Problem | None]:
    """Return the check of a channel id on `platform`."""
    shape = {"discord": _DISCORD_ID, "slack": _SLACK_CHANNEL, "console": _CONSOLE_CHANNEL}[platform]

    def check(text: str) -> Problem | None:
        if shape.fullmatch(text):
            return None
        return Problem(f"{platform}_channel", {"value": text})

    return check


def console_id(name: str) -> str:
    """Return a console community id made from a community's name."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    return "-".join(words)[:40].strip("-") or "community"


class Questions:
    """Gathers the answers: from flags, the terminal, or the defaults."""

    def __init__(self, prompts: Prompts, dialogue: Dialogue, *, interactive: bool) -> None:
        self._prompts = prompts
        self._dialogue = dialogue
        self._interactive = interactive

    def language(self, given: Given) -> str:
        """Return the language of the community, which the next questions are asked in."""
        ask = self._dialogue
        language = self._answer(
            given.language, lambda: ask.choose("language", LANGUAGES, "en"), "en", "--language"
        )
        ask.catalog = self._prompts.catalog(language)
        return language

    def gather(self, given: Given, language: str) -> Answers:
        """Return every answer, asking for those not given, in `language`."""
        ask = self._dialogue
        ask.catalog = self._prompts.catalog(language)
        if self._interactive:
            ask.blank()
            ask.say("intro")
        audience = self._answer(
            given.audience,
            lambda: ask.choose("audience", AUDIENCES, "employees"),
            "employees",
            "--audience",
        )
        purpose = self._answer(
            given.purpose,
            lambda: ask.text("purpose", default=None, check=no_secret, optional=True),
            "",
            "--purpose",
            no_secret,
        )
        default_name = ask.catalog.text("init.defaults.name")
        name = self._answer(
            given.name,
            lambda: ask.text("name", default=default_name, check=no_secret),
            default_name,
            "--name",
            _name_problem,
        )
        size = self._answer(
            given.size,
            lambda: ask.number("size", 30, 1, MAX_SIZE),
            30,
            "--size",
            _size_problem,
        )
        benefit = self._answer(
            given.benefit,
            lambda: ask.choose("benefit", BENEFITS, "connection"),
            "connection",
            "--benefit",
        )
        meeting = self._answer(
            given.meeting, lambda: ask.choose("meeting", MEETINGS, "remote"), "remote", "--meeting"
        )
        zone = DEFAULT_TIMEZONE[language]
        timezone = self._answer(
            given.timezone,
            lambda: ask.text("timezone", default=zone, check=timezone_problem),
            zone,
            "--timezone",
            timezone_problem,
        )
        platform = self._answer(
            given.platform,
            lambda: ask.choose("platform", PLATFORMS, "console"),
            "console",
            "--platform",
        )
        default_id = console_id(name) if platform == "console" else None
        community_id = self._answer(
            given.community_id,
            lambda: ask.text(f"{platform}_id", default=default_id, check=id_problem(platform)),
            default_id,
            "--id",
            id_problem(platform),
        )
        answers = Answers(
            language=language,
            audience=audience,
            purpose=purpose,
            name=name,
            size=size,
            benefit=benefit,
            meeting=meeting,
            timezone=timezone,
            platform=platform,
            community_id=community_id,
        )
        return dataclasses.replace(answers, channels=self._channels(given, answers))

    def _channels(self, given: Given, answers: Answers) -> dict[str, str]:
        platform = answers.platform
        check = channel_problem(platform)
        for purpose in given.channels:
            if purpose not in ("general", "moderators", "games"):
                raise InitProblem(Problem("purpose", {"value": purpose}))
        channels: dict[str, str] = {}
        for purpose in recommend(answers).purposes():
            default = CONSOLE_CHANNELS.get(purpose) if platform == "console" else None
            optional = purpose in OPTIONAL_PURPOSES
            channel = self._answer(
                given.channels.get(purpose),
                functools.partial(
                    self._dialogue.text,
                    f"channel_{purpose}",
                    default=default,
                    check=check,
                    optional=optional,
                ),
                default if default is not None else ("" if optional else None),
                f"--channel {purpose}=ID",
                check,
            )
            if channel:
                channels[purpose] = channel
        return channels

    def _answer(
        self,
        given: T | None,
        ask: Callable[[], T],
        default: T | None,
        flag: str,
        check: Callable[[T], Problem | None] | None = None,
    ) -> T:
        if given is not None:
            problem = check(given) if check is not None else None
            if problem is not None:
                raise InitProblem(problem)
            return given
        if self._interactive:
            return ask()
        if default is None:
            raise InitProblem(Problem("missing_flag", {"flag": flag}))
        return default


def _name_problem(text: str) -> Problem | None:
    if not text.strip():
        return Problem("required")
    return no_secret(text)


def _size_problem(size: int) -> Problem | None:
    if 1 <= size <= MAX_SIZE:
        return None
    return Problem("number", {"minimum": 1, "maximum": MAX_SIZE})
