"""`[communities.groups]`: when a proposed group opens, where, and when a silent one ends."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, StrictBool, StrictInt, StrictStr

from bot.config import ConfigModel, KeyPath


class GroupsConfig(ConfigModel):
    """Affinity groups: members proposing, joining, a space opening once enough joined."""

    enabled: StrictBool = False
    channel: StrictStr = "general"
    """The channel purpose where proposals are posted (and Discord threads open)."""
    members_needed: StrictInt = Field(default=3, ge=2, le=100)
    proposal_hours: StrictInt = Field(default=72, ge=1, le=24 * 30)
    private: StrictBool = True
    silent_days: StrictInt = Field(default=21, ge=1, le=365)
    archive_after_notice_days: StrictInt = Field(default=7, ge=1, le=90)
    suggest_at: StrictInt = Field(default=5, ge=2, le=10_000)
    """How many members must share a declared interest before moderators hear of it."""


def groups_findings(community: Mapping[str, object]) -> list[tuple[KeyPath, str]]:
    """Find a proposal channel that is not one of the community's purposes."""
    groups = community.get("groups")
    if not isinstance(groups, Mapping) or not groups.get("enabled", False):
        return []
    channel = groups.get("channel", "general")
    channels = community.get("channels", {})
    if not isinstance(channel, str) or not isinstance(channels, Mapping) or channel in channels:
        return []
    configured = ", ".join(sorted(str(p) for p in channels)) or "none"
    message = f'channel "{channel}" is not a configured purpose (configured: {configured})'
    return [(("groups", "channel"), message)]
