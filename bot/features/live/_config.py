"""`[communities.live]`: live sessions, off unless a community turns them on."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, StrictBool, StrictInt, StrictStr

from bot.config import ConfigModel, Cron, KeyPath, Slug


class LiveScheduleConfig(ConfigModel):
    """A session held on a cron schedule: announced ahead, hosted by the members named."""

    name: Slug
    title: StrictStr = Field(min_length=1, max_length=100)
    cron: Cron
    """When the session starts, in the community's timezone."""
    minutes: StrictInt | None = Field(default=None, ge=5, le=24 * 60)
    hosts: list[StrictStr] = Field(min_length=1, max_length=5)
    """Member ids of the hosts (who see the queue and get the open questions)."""
    channel: Slug | None = None
    """The purpose of the session's channel (default: `[communities.live] channel`)."""


class LiveConfig(ConfigModel):
    """Live sessions: announced with an interest button, questions upvoted, a summary after."""

    enabled: StrictBool = False
    channel: Slug = "general"
    """The purpose (a key of `channels`) where sessions are announced and held."""
    voice_channel: Slug | None = None
    """Discord: the purpose of a voice or stage channel the scheduled event points to."""
    location: StrictStr = Field(default="", max_length=100)
    """Discord, without a voice channel: where the external event says it happens."""
    minutes: StrictInt = Field(default=60, ge=5, le=24 * 60)
    """How long a session lasts when its schedule does not say."""
    remind_minutes: StrictInt = Field(default=15, ge=1, le=24 * 60)
    """Interested members are reminded privately this long before the start."""
    announce_hours: StrictInt = Field(default=72, ge=1, le=24 * 30)
    """A scheduled session is announced this long before it starts."""
    anonymous: StrictBool = True
    """Whether members may ask without their name shown (`/terreau live anonymous`)."""
    schedules: list[LiveScheduleConfig] = Field(default_factory=list)


def live_findings(community: Mapping[str, object]) -> list[tuple[KeyPath, str]]:
    """Find channel purposes the live section names but the community lacks."""
    live = community.get("live")
    if not isinstance(live, Mapping) or not live.get("enabled"):
        return []
    channels = community.get("channels", {})
    purposes = sorted(str(p) for p in channels) if isinstance(channels, Mapping) else []
    known = ", ".join(purposes) or "none"
    named: list[tuple[KeyPath, object]] = [
        (("live", "channel"), live.get("channel", "general")),
        (("live", "voice_channel"), live.get("voice_channel")),
    ]
    schedules = live.get("schedules", [])
    if isinstance(schedules, list):
        for index, schedule in enumerate(schedules):
            if isinstance(schedule, Mapping):
                named.append((("live", "schedules", index, "channel"), schedule.get("channel")))
    return [
        (path, f'channel "{purpose}" is not a configured purpose (configured: {known})')
        for path, purpose in named
        if isinstance(purpose, str) and purpose not in purposes
    ]
