"""`[communities.holdup]`: who may bring a problem, how long each phase lasts, how many dots."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, StrictBool, StrictInt

from bot.config import ConfigModel, KeyPath, Slug


class HoldupConfig(ConfigModel):
    """Hold-ups: a member's problem, brainstormed by the community in a thread of its own."""

    enabled: StrictBool = False
    channel: Slug = "general"
    """The purpose where hold-ups are announced (and Discord threads open)."""
    members_submit: StrictBool = True
    """Any member may bring a problem; False: moderators only."""
    auto_approve: StrictBool = False
    """A problem starts at once; False: a moderator approves it first."""
    ideas_hours: StrictInt = Field(default=48, ge=1, le=24 * 14)
    vote_hours: StrictInt = Field(default=24, ge=1, le=24 * 14)
    dots: StrictInt = Field(default=3, ge=1, le=20)
    """The dots each member spreads over the ideas (never on their own)."""
    hide_authors: StrictBool = True
    """Ideas show no author until the outcome."""
    anonymous: StrictBool = False
    """The outcome credits no author (the contributors are thanked without their ideas)."""


def holdup_findings(community: Mapping[str, object]) -> list[tuple[KeyPath, str]]:
    """Find an announcement channel that is not one of the community's purposes."""
    holdup = community.get("holdup")
    if not isinstance(holdup, Mapping) or not holdup.get("enabled", False):
        return []
    channel = holdup.get("channel", "general")
    channels = community.get("channels", {})
    if not isinstance(channel, str) or not isinstance(channels, Mapping) or channel in channels:
        return []
    configured = ", ".join(sorted(str(p) for p in channels)) or "none"
    message = f'channel "{channel}" is not a configured purpose (configured: {configured})'
    return [(("holdup", "channel"), message)]
