"""Activity levels: new, core, active, occasional, quiet or never spoke, from daily rollups.

Pure functions over each member's summarised activity, so any feature (icebreakers,
reports, analytics) classifies members the same way. The storage side
(`uow.activity`) builds the summaries from `activity_daily` in one aggregate query
and keeps a monthly snapshot of every member's level, so moves between levels can
be compared month to month.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

log = logging.getLogger(__name__)


class Level(enum.StrEnum):
    """How a member takes part in a community."""

    NEW = "new"
    CORE = "core"
    ACTIVE = "active"
    OCCASIONAL = "occasional"
    QUIET = "quiet"
    NEVER_SPOKE = "never_spoke"


LEVELS = tuple(level.value for level in Level)
"""Every level's stored name."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Thresholds:
    """Where one level ends and the next begins (days; see `classify`)."""

    new_days: int = 14
    window_days: int = 30
    core_days: int = 12
    active_days: int = 4
    quiet_after_days: int = 30

    def __post_init__(self) -> None:
        if min(self.new_days, self.window_days, self.quiet_after_days) < 0:
            raise ValueError("level thresholds must not be negative")
        if not 1 <= self.active_days <= self.core_days:
            raise ValueError(
                f"need 1 <= active_days <= core_days, got {self.active_days} and {self.core_days}"
            )


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberActivity:
    """What the rollups say about one member, as of a given day.

    `spoke` counts messages and replies ever; `last_active` is the last day the member
    posted, replied or reacted (commands and clicks on the bot do not count);
    `active_days` counts such days in the window of `Thresholds.window_days` days
    ending on the given day.
    """

    member_id: str
    joined: date | None
    spoke: int
    last_active: date | None
    active_days: int


def classify(activity: MemberActivity, today: date, thresholds: Thresholds) -> Level:
    """Return a member's level on `today`.

    In order: joined less than `new_days` ago: new; never posted a message: never
    spoke; no activity for `quiet_after_days`: quiet; active on at least `core_days`
    days of the window: core; at least `active_days`: active; otherwise occasional.
    """
    if activity.joined is not None and (today - activity.joined).days < thresholds.new_days:
        return Level.NEW
    if activity.spoke == 0:
        return Level.NEVER_SPOKE
    if (
        activity.last_active is None
        or (today - activity.last_active).days >= thresholds.quiet_after_days
    ):
        return Level.QUIET
    if activity.active_days >= thresholds.core_days:
        return Level.CORE
    if activity.active_days >= thresholds.active_days:
        return Level.ACTIVE
    return Level.OCCASIONAL


def classify_all(
    activities: Iterable[MemberActivity], today: date, thresholds: Thresholds
) -> dict[str, Level]:
    """Return every member's level on `today`, keyed by member id."""
    return {a.member_id: classify(a, today, thresholds) for a in activities}


def window_start(today: date, thresholds: Thresholds) -> date:
    """Return the first day of the activity window that ends on `today`."""
    return today - timedelta(days=thresholds.window_days - 1)


def month_of(moment: date | datetime) -> date:
    """Return the first day of the month of `moment` (the key of a monthly snapshot)."""
    return date(moment.year, moment.month, 1)


@dataclass(frozen=True, kw_only=True, slots=True)
class LevelMove:
    """A member whose level changed between two monthly snapshots."""

    member_id: str
    before: Level | None
    after: Level | None


def moves(before: Mapping[str, Level], after: Mapping[str, Level]) -> list[LevelMove]:
    """Return the members whose level differs between two snapshots, by member id.

    A member missing from one side (not yet seen, or gone) has None there.
    """
    return [
        LevelMove(member_id=member, before=before.get(member), after=after.get(member))
        for member in sorted(set(before) | set(after))
        if before.get(member) != after.get(member)
    ]
