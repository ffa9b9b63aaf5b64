"""`[communities.games]`: answer windows, points, seasons, schedules and extra content."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, Self

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from bot.config import ConfigModel, Cron, KeyPath, Slug

POLL_KINDS = ("this_or_that", "would_you_rather")
SEASON_MONTHS = (1, 2, 3, 4, 6, 12)


class GameScheduleConfig(ConfigModel):
    """A game started on a cron schedule: a trivia round or a poll from the content."""

    name: Slug
    game: Literal["trivia", "poll"]
    cron: Cron
    channel: StrictStr | None = None
    category: Slug | None = None
    questions: StrictInt | None = Field(default=None, ge=1, le=20)
    kind: Literal["this_or_that", "would_you_rather"] | None = None
    grace_minutes: StrictInt = Field(default=30, ge=0)

    @model_validator(mode="after")
    def _fields_of_the_game(self) -> Self:
        if self.game == "poll" and (self.category is not None or self.questions is not None):
            raise ValueError("`category` and `questions` are for trivia schedules, not polls")
        if self.game == "trivia" and self.kind is not None:
            raise ValueError("`kind` is for poll schedules, not trivia")
        return self


class GamesConfig(ConfigModel):
    """Games of one community: trivia, quick polls, two truths and a lie, seasons."""

    enabled: StrictBool = True
    channel: StrictStr | None = None
    answer_seconds: StrictInt = Field(default=60, ge=20, le=3600)
    questions: StrictInt = Field(default=5, ge=1, le=20)
    points: StrictInt = Field(default=10, ge=1, le=1000)
    first_bonus: StrictInt = Field(default=5, ge=0, le=1000)
    poll_minutes: StrictInt = Field(default=60, ge=1, le=10_080)
    twotruths_hours: StrictInt = Field(default=24, ge=1, le=168)
    spot_points: StrictInt = Field(default=5, ge=0, le=1000)
    fool_points: StrictInt = Field(default=3, ge=0, le=1000)
    season_months: StrictInt = 1
    trivia_dirs: tuple[Path, ...] = ()
    poll_dirs: tuple[Path, ...] = ()
    schedules: tuple[GameScheduleConfig, ...] = ()

    @field_validator("season_months")
    @classmethod
    def _season_months(cls, value: int) -> int:
        if value not in SEASON_MONTHS:
            allowed = ", ".join(str(months) for months in SEASON_MONTHS)
            raise ValueError(f"a season lasts {allowed} months (a divisor of 12), got {value}")
        return value


def games_findings(community: Mapping[str, object]) -> list[tuple[KeyPath, str]]:
    """Find game schedules with a duplicate name or a channel purpose the community lacks."""
    findings: list[tuple[KeyPath, str]] = []
    games = community.get("games")
    if not isinstance(games, Mapping):
        return findings
    channels = community.get("channels", {})
    purposes = sorted(str(p) for p in channels) if isinstance(channels, Mapping) else []
    default = games.get("channel")
    if isinstance(default, str) and default not in purposes:
        findings.append((("games", "channel"), _unknown(default, purposes)))
    schedules = games.get("schedules", ())
    names: set[str] = set()
    for index, schedule in enumerate(schedules if isinstance(schedules, Sequence) else ()):
        if not isinstance(schedule, Mapping):
            continue
        path: KeyPath = ("games", "schedules", index)
        name = schedule.get("name")
        if isinstance(name, str):
            if name in names:
                findings.append(((*path, "name"), f'duplicate game schedule name "{name}"'))
            names.add(name)
        channel = schedule.get("channel")
        if channel is None and default is None:
            findings.append(
                ((*path, "channel"), "say where to play: `channel` here or in [communities.games]")
            )
        elif isinstance(channel, str) and channel not in purposes:
            findings.append(((*path, "channel"), _unknown(channel, purposes)))
    return findings


def _unknown(channel: str, purposes: Sequence[str]) -> str:
    known = ", ".join(purposes) if purposes else "none"
    return f'channel "{channel}" is not a configured purpose (configured: {known})'
