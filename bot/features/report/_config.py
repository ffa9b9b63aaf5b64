"""The `[communities.report]` table: the weekly digest, unanswered questions, exclusions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from bot.config import Cron

_PURPOSE = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"


class ReportConfig(BaseModel):
    """Community analytics: who gets the digest and when, what counts as unanswered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    digest_cron: Cron | None = None
    digest_days: StrictInt = Field(default=7, ge=1, le=366)
    channel: StrictStr = Field(default="moderators", pattern=_PURPOSE)
    unanswered_after_hours: StrictInt = Field(default=24, ge=1, le=24 * 30)
    nudge: StrictBool = False
    exclude_members: tuple[StrictStr, ...] = ()
    chart_dir: Path | None = None


def report_findings(community: Mapping[str, object]) -> list[tuple[tuple[str | int, ...], str]]:
    """Find a digest or nudge sent to a channel purpose the community does not configure."""
    report = community.get("report")
    if not isinstance(report, Mapping):
        return []
    if report.get("digest_cron") is None:
        return []
    channels = community.get("channels", {})
    purposes = sorted(str(p) for p in channels) if isinstance(channels, Mapping) else []
    channel = report.get("channel", "moderators")
    if not isinstance(channel, str) or channel in purposes:
        return []
    known = ", ".join(purposes) if purposes else "none"
    return [
        (
            ("report", "channel"),
            f'the digest goes to channel purpose "{channel}", which is not configured '
            f"(configured: {known}); add it under channels or set report.channel",
        )
    ]
