"""Seasons: calendar periods (monthly by default) on the community's wall clock."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

_LABEL = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, kw_only=True, slots=True)
class Season:
    """A season: its label (`2026-11`, the year and month it starts) and its instants."""

    label: str
    start: datetime
    end: datetime


def _season(year: int, month: int, zone: ZoneInfo, months: int) -> Season:
    first = month - (month - 1) % months
    start = datetime(year, first, 1, tzinfo=zone)
    after = first + months
    end = datetime(year + (after - 1) // 12, (after - 1) % 12 + 1, 1, tzinfo=zone)
    return Season(
        label=f"{year:04d}-{first:02d}", start=start.astimezone(UTC), end=end.astimezone(UTC)
    )


def season_at(moment: datetime, timezone: str, months: int) -> Season:
    """Return the season containing `moment` in the community's timezone."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    return _season(local.year, local.month, zone, months)


def season_named(label: str, timezone: str, months: int) -> Season | None:
    """Return the season called `label` (`YYYY-MM`, the month it starts), or None."""
    match = _LABEL.match(label.strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or (month - 1) % months:
        return None
    return _season(year, month, ZoneInfo(timezone), months)


def previous_season(season: Season, timezone: str, months: int) -> Season:
    """Return the season just before `season`."""
    return season_at(season.start - timedelta(seconds=1), timezone, months)


def season_cron(months: int) -> str:
    """Return the cron expression of season starts: midnight on their first day."""
    starts = ",".join(str(month) for month in range(1, 13, months))
    return f"0 0 1 {starts} *"
