"""Member of the month: when elections run, how votes count, who may vote and be nominated."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from bot.config import Cron, KeyPath

log = logging.getLogger(__name__)


class ElectionConfig(BaseModel):
    """`[communities.election]`: the monthly cycle, the counting method and the rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: StrictBool = False
    opens: Cron = "0 9 1 * *"
    nomination_hours: StrictInt = Field(default=120, ge=1, le=24 * 60)
    voting_hours: StrictInt = Field(default=72, ge=1, le=24 * 60)
    method: Literal["single", "ranked"] = "single"
    tie_policy: Literal["co_winners", "runoff", "moderators"] = "co_winners"
    runoff_hours: StrictInt = Field(default=24, ge=1, le=24 * 30)
    rest_months: StrictInt = Field(default=3, ge=0, le=120)
    min_tenure_days: StrictInt = Field(default=14, ge=0)
    min_interactions: StrictInt = Field(default=1, ge=0)
    activity_days: StrictInt = Field(default=30, ge=1, le=366)
    moderators_eligible: StrictBool = False
    member_left: Literal["keep", "drop"] = "keep"
    channel: StrictStr = "general"
    winner_role: StrictStr | None = None


def election_findings(community: Mapping[str, object]) -> list[tuple[KeyPath, str]]:
    """Find an election announcement channel that is not one of the community's purposes."""
    election = community.get("election")
    if not isinstance(election, Mapping) or not election.get("enabled", False):
        return []
    channel = election.get("channel", "general")
    channels = community.get("channels", {})
    if not isinstance(channel, str) or not isinstance(channels, Mapping):
        return []
    if channel in channels:
        return []
    configured = ", ".join(sorted(str(p) for p in channels)) or "none"
    return [
        (
            ("election", "channel"),
            f'channel "{channel}" is not a configured purpose (configured: {configured})',
        )
    ]
