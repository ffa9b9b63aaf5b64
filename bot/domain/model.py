"""Who and where: communities, members and channels as the core sees them."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime


def community_key(platform: str, platform_id: str) -> str:
    """Return the key naming a community across the whole deployment (`platform:id`).

    Interned: every event carries its community's key, and the dispatcher remembers
    the last 100,000 events' (community, id) pairs; one shared string a community
    rather than one an event saved 6.5 MiB (`bench_rss.py`, 100,000 members).
    """
    return sys.intern(f"{platform}:{platform_id}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Community:
    """A Discord guild, a Slack workspace or the local console community."""

    platform: str
    id: str
    name: str
    language: str = "en"
    timezone: str = "UTC"

    @property
    def key(self) -> str:
        """Return the deployment-wide key of this community."""
        return community_key(self.platform, self.id)


@dataclass(frozen=True, kw_only=True, slots=True)
class Member:
    """A member as the platform reported them at the time of an event.

    `is_admin` is the platform's own notion of a server manager (Discord Manage
    Server, Slack admin or owner); `roles` holds role or user-group ids, which the
    core matches against the configured moderator roles.
    """

    id: str
    display_name: str
    is_bot: bool = False
    is_admin: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)
    joined_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelRef:
    """Where to post: a channel, optionally a thread inside it."""

    community: str
    channel_id: str
    thread_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduledEvent:
    """An event a platform lists on its own calendar (a Discord Guild Scheduled Event).

    `voice_channel_id` links it to a voice or stage channel; without one it is an
    external event held at `location`.
    """

    community: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    voice_channel_id: str | None = None
    location: str = ""
