"""When a community's elections open, and what becomes of an opening Terreau missed.

An opening that runs late (Terreau was down, or installed after it) still gives each
phase its full configured length, counted from the moment it really opens; the
scheduler owes it only within `nomination_hours` of its time, and past that the
community waits for the next opening. `terreau check` says which applies.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import CommunityConfig
from bot.features.election._config import ElectionConfig
from bot.scheduling import CronSchedule, next_fire_times, parse_cron

log = logging.getLogger(__name__)

_SECOND = timedelta(seconds=1)


def opening_plan(community: CommunityConfig, now: datetime) -> list[str]:
    """Return what `terreau check` says of a community's election openings at `now`."""
    rules = community.section(ElectionConfig)
    zone = ZoneInfo(community.timezone)
    schedule = parse_cron(rules.opens)
    window = timedelta(hours=rules.nomination_hours)
    [upcoming] = next_fire_times(schedule, zone, now, 1)
    lines = [
        f"election: '{rules.opens}' opens nominations for {rules.nomination_hours} h, then "
        f"voting for {rules.voting_hours} h; next: {_shown(upcoming, zone)}"
    ]
    owed = _latest_fire(schedule, zone, now - window - _SECOND, now)
    if owed is not None:
        lines.append(
            f"election: unless it already ran, the opening of {_shown(owed, zone)} is owed: "
            f"started before {_shown(owed + window, zone)}, Terreau opens it at once, with "
            f"the full {rules.nomination_hours} h of nominations and {rules.voting_hours} h of "
            f"voting from that moment; started later, it waits for {_shown(upcoming, zone)}"
        )
    return lines


def _latest_fire(
    schedule: CronSchedule, zone: ZoneInfo, after: datetime, now: datetime
) -> datetime | None:
    """Return the latest fire in (`after`, `now`], or None."""
    latest = None
    [fire] = next_fire_times(schedule, zone, after, 1)
    while fire <= now:
        latest = fire
        [fire] = next_fire_times(schedule, zone, fire, 1)
    return latest


def _shown(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
