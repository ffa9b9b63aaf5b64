"""`[communities.icebreaker]`: invitations, welcomes, champions, hosts and level thresholds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from bot.activity import LEVELS, Thresholds
from bot.config import ConfigModel, Cron, Slug

_QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def _level(value: str) -> str:
    if value not in LEVELS:
        raise ValueError(f'unknown level "{value}" (levels: {", ".join(LEVELS)})')
    return value


_Level = Annotated[StrictStr, AfterValidator(_level)]


class LevelsConfig(ConfigModel):
    """Activity level thresholds, in days (see README, "Breaking the ice")."""

    new_days: StrictInt = Field(default=14, ge=0)
    window_days: StrictInt = Field(default=30, ge=1)
    core_days: StrictInt = Field(default=12, ge=1)
    active_days: StrictInt = Field(default=4, ge=1)
    quiet_after_days: StrictInt = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.active_days > self.core_days:
            raise ValueError(
                f"active_days ({self.active_days}) must not exceed core_days ({self.core_days})"
            )
        if self.core_days > self.window_days:
            raise ValueError(
                f"core_days ({self.core_days}) must not exceed window_days ({self.window_days})"
            )
        return self

    def thresholds(self) -> Thresholds:
        """Return these thresholds for `bot.activity.classify`."""
        return Thresholds(
            new_days=self.new_days,
            window_days=self.window_days,
            core_days=self.core_days,
            active_days=self.active_days,
            quiet_after_days=self.quiet_after_days,
        )


class WelcomeConfig(ConfigModel):
    """Greeting newcomers: where, how long after they join, how many members to introduce."""

    enabled: StrictBool = True
    channel: Slug | None = None
    delay_minutes: StrictInt = Field(default=10, ge=0)
    introduce: StrictInt = Field(default=2, ge=0, le=3)


class ChampionsConfig(ConfigModel):
    """Volunteers asked by DM to answer first posts (and start rituals), `weekly_cap` a week."""

    enabled: StrictBool = True
    weekly_cap: StrictInt = Field(default=2, ge=0)
    rituals: StrictBool = True


class HostsConfig(ConfigModel):
    """Offers to host: suggestions to moderators, and the private offers they send."""

    enabled: StrictBool = True
    suggestions: StrictInt = Field(default=3, ge=1, le=10)
    levels: tuple[_Level, ...] = ("occasional", "quiet")
    weekly_cap: StrictInt = Field(default=3, ge=0)
    answer_days: StrictInt = Field(default=7, ge=1, le=60)


class IcebreakerConfig(ConfigModel):
    """Icebreaker posts that invite a few quieter members by name, with care."""

    enabled: StrictBool = False
    schedule: Cron = "0 18 * * 2"
    channel: Slug = "general"
    max_invitees: StrictInt = Field(default=3, ge=1, le=10)
    cooldown_days: StrictInt = Field(default=14, ge=1)
    max_unanswered: StrictInt = Field(default=2, ge=1)
    pause_days: StrictInt = Field(default=90, ge=1)
    quiet_hours: StrictStr = "22:00-08:00"
    invite_levels: tuple[_Level, ...] = ("new", "occasional", "quiet", "never_spoke")
    channel_tags: dict[Slug, tuple[Slug, ...]] = Field(default_factory=dict)
    grace_minutes: StrictInt = Field(default=120, ge=0)
    welcome: WelcomeConfig = WelcomeConfig()
    champions: ChampionsConfig = ChampionsConfig()
    levels: LevelsConfig = LevelsConfig()
    hosts: HostsConfig = HostsConfig()

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value and not _QUIET_HOURS.match(value):
            raise ValueError(
                f'expected "HH:MM-HH:MM" (e.g. "22:00-08:00") or "" for none, got "{value}"'
            )
        return value

    def quiet_window(self) -> tuple[time, time] | None:
        """Return (start, end) of the quiet hours, or None when there are none."""
        match = _QUIET_HOURS.match(self.quiet_hours)
        if match is None:
            return None
        start = time(int(match[1]), int(match[2]))
        end = time(int(match[3]), int(match[4]))
        return None if start == end else (start, end)

    @property
    def welcome_channel(self) -> str:
        """Return the purpose of the channel welcomes go to."""
        return self.welcome.channel or self.channel


def icebreaker_findings(community: Mapping[str, object]) -> list[tuple[tuple[str | int, ...], str]]:
    """Find channel purposes the (enabled) icebreaker names but the community lacks."""
    icebreaker = community.get("icebreaker")
    channels = community.get("channels", {})
    if not isinstance(icebreaker, Mapping) or not icebreaker.get("enabled"):
        return []
    purposes = sorted(str(p) for p in channels) if isinstance(channels, Mapping) else []
    named: list[tuple[tuple[str | int, ...], object]] = [
        (("icebreaker", "channel"), icebreaker.get("channel", "general"))
    ]
    welcome = icebreaker.get("welcome")
    if isinstance(welcome, Mapping) and "channel" in welcome:
        named.append((("icebreaker", "welcome", "channel"), welcome["channel"]))
    tags = icebreaker.get("channel_tags")
    if isinstance(tags, Mapping):
        named.extend((("icebreaker", "channel_tags", str(key)), key) for key in tags)
    known = ", ".join(purposes) or "none"
    return [
        (path, f'channel "{value}" is not a configured purpose (configured: {known})')
        for path, value in named
        if isinstance(value, str) and value not in purposes
    ]
