"""`[communities.cafe]`: virtual cafés, off unless a community turns them on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import Field, StrictBool, StrictInt

from bot._toml_lines import KeyPath
from bot.config import ConfigModel, Cron, Slug

if TYPE_CHECKING:
    from bot.config import CommunityConfig


class CafeConfig(ConfigModel):
    """Rounds of small groups of members who opted in, matched from who talks to whom."""

    enabled: StrictBool = False
    channel: Slug = "cafe"
    """The purpose (a key of `channels`) of the channel where groups are introduced."""
    schedule: Cron = "0 10 * * 1"
    """When rounds start, in the community's timezone (every Monday at 10:00)."""
    grace_minutes: StrictInt = Field(default=180, ge=0)
    """A round missed while Terreau was down still starts this late, else is skipped."""
    group_size: StrictInt = Field(default=2, ge=2, le=8)
    lookback_days: StrictInt = Field(default=60, ge=0)
    """Members who replied or reacted to each other in these days are paired last."""
    no_repeat_rounds: StrictInt = Field(default=6, ge=0)
    """A pair never meets again within this many rounds."""
    prefer_interests: StrictBool = True
    """Prefer pairing members who declared a shared interest (`/terreau me interests`)."""
    checkin_days: StrictInt = Field(default=4, ge=1)
    """When, after a round, the groups are asked whether they met."""
    archive_days: StrictInt = Field(default=7, ge=0)
    """Days after the check-in when each group's private space is archived (0: kept open)."""
    unanswered_rounds: StrictInt = Field(default=3, ge=1)
    """Check-ins left unanswered in a row before a member is asked whether to stay."""
    max_snooze_days: StrictInt = Field(default=90, ge=1)


def cafe_findings(community: Mapping[str, object]) -> list[tuple[KeyPath, str]]:
    """Find the café channel purpose an enabled café names but the community lacks."""
    cafe = community.get("cafe")
    if not isinstance(cafe, Mapping) or not cafe.get("enabled"):
        return []
    channels = community.get("channels", {})
    purposes = sorted(str(p) for p in channels) if isinstance(channels, Mapping) else []
    purpose = cafe.get("channel", "cafe")
    if not isinstance(purpose, str) or purpose in purposes:
        return []
    known = ", ".join(purposes) or "none"
    return [
        (
            ("cafe", "channel"),
            f'channel "{purpose}" is not a configured purpose (configured: {known})',
        )
    ]


def cafe_config(community: CommunityConfig) -> CafeConfig:
    """Return a community's café section (defaults, hence off, when the file has none)."""
    return community.section(CafeConfig)
