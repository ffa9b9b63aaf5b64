"""Cron expressions with crontab's meaning, evaluated on the community's wall clock.

APScheduler's `CronTrigger` parses each field and searches the next matching time;
Terreau translates crontab weekdays (0 and 7 are Sunday) into names first and walks
local wall time itself, so a time skipped or repeated by a DST change runs once.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

CATCH_UP_HORIZON = timedelta(days=35)
"""How far back start-up looks for runs missed while Terreau was stopped."""

_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
_OFFSET_PROBE = timedelta(hours=6)


class CronError(ValueError):
    """A cron expression that Terreau cannot schedule; the message names the bad field."""


# ---------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i
    allowed: str = ""

    def describe(self) -> str:
        return self.allowed or f"{self.low}-{self.high}"


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab: 0 (and 7) is Sunday
_APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler: 0 is Monday
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS, "1-12 or jan-dec"),
    _Field("day-of-week", 0, 7, _CRON_DAYS, "0-7 or sun-sat"),
)
_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_ITEM = re.compile(
    r"(?:(?P<star>\*)|(?P<first>[0-9a-z]+)(?:-(?P<last>[0-9a-z]+))?)(?:/(?P<step>\d+))?"
)
_SYNTAX = "expected a number, a range (1-5), a step (*/15) or a list (1,3,5)"
_NUMBERS = re.compile(r"\*|\d+(?:,\d+)*")
_WEEKDAYS = re.compile(rf"\*|(?:{'|'.join(_APS_DAYS)})(?:,(?:{'|'.join(_APS_DAYS)}))*")


def _value(spec: _Field, token: str, text: str, *, range_end: bool = False) -> int:
    if token.isdigit():
        number = int(token)
    elif token in spec.names:
        number = spec.low + spec.names.index(token)
        if range_end and spec.names is _CRON_DAYS and number == 0:
            number = 7  # "fri-sun" reads as 5-7
    else:
        raise CronError(f'{spec.name} field "{text}": must be {spec.describe()}')
    if not spec.low <= number <= spec.high:
        raise CronError(f'{spec.name} field "{text}": must be {spec.describe()}')
    return number


def _expand(spec: _Field, text: str) -> frozenset[int]:
    """Return every value a crontab field selects, with APScheduler's range rules."""
    values: set[int] = set()
    top = 6 if spec.names is _CRON_DAYS else spec.high  # "*" on weekdays is 0-6
    for item in text.lower().split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise CronError(f'{spec.name} field "{text}": {_SYNTAX}')
        step = int(match["step"]) if match["step"] else None
        if match["star"]:
            first, last = spec.low, top
        else:
            first = _value(spec, match["first"], text)
            if match["last"] is not None:
                last = _value(spec, match["last"], text, range_end=first > 0)
                if first > last:
                    raise CronError(
                        f'{spec.name} field "{text}": range start {match["first"]} '
                        f"is after its end {match['last']}"
                    )
            else:
                last = top if step is not None else first
        if step is not None:
            if step == 0:
                raise CronError(f'{spec.name} field "{text}": step must be at least 1')
            if step > last - first:
                raise CronError(
                    f'{spec.name} field "{text}": step must be at most {last - first}'
                    if last > first
                    else f'{spec.name} field "{text}": a step needs a range of values'
                )
        values.update(range(first, last + 1, step or 1))
    if spec.names is _CRON_DAYS and 7 in values:
        values = (values - {7}) | {0}
    return frozenset(values)


def _numbers(values: frozenset[int], spec: _Field) -> str:
    full = frozenset(range(spec.low, spec.high + 1))
    return "*" if values == full else ",".join(str(value) for value in sorted(values))


def _weekdays(values: frozenset[int]) -> str:
    if values == frozenset(range(7)):
        return "*"
    aps = sorted((value - 1) % 7 for value in values)  # crontab 0=Sun -> APScheduler 6=Sun
    return ",".join(_APS_DAYS[value] for value in aps)


def _days_fit(days: frozenset[int], months: frozenset[int]) -> bool:
    return min(days) <= max(_MONTH_DAYS[month - 1] for month in months)


@functools.lru_cache(maxsize=1024)
def parse_cron(expression: str) -> CronSchedule:
    """Parse a 5-field crontab expression or an @alias into a normalized schedule.

    Crontab rules, not APScheduler's: day-of-week 0 and 7 are Sunday, names are
    accepted for months and weekdays, and when both day-of-month and day-of-week
    are restricted (neither starts with `*`) a day matching either one fires.
    """
    text = expression.strip().lower()
    if text.startswith("@"):
        if text not in _ALIASES:
            known = ", ".join(sorted(_ALIASES))
            raise CronError(f'unknown alias "{expression.strip()}": expected one of {known}')
        text = _ALIASES[text]
    raw = text.split()
    if len(raw) != len(_FIELDS):
        raise CronError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(raw)}"
        )
    minute, hour, day, month, weekday = (
        _expand(spec, part) for spec, part in zip(_FIELDS, raw, strict=True)
    )
    either = not raw[2].startswith("*") and not raw[4].startswith("*")
    all_days = frozenset(range(1, 32))
    if either and (day == all_days or weekday == frozenset(range(7))):
        day, weekday, either = all_days, frozenset(range(7)), False
    if not either and day != all_days and not _days_fit(day, month):
        raise CronError(f'day-of-month field "{raw[2]}": never occurs in month field "{raw[3]}"')
    return CronSchedule(
        minute=_numbers(minute, _FIELDS[0]),
        hour=_numbers(hour, _FIELDS[1]),
        day=_numbers(day, _FIELDS[2]),
        month=_numbers(month, _FIELDS[3]),
        day_of_week=_weekdays(weekday),
        day_or_weekday=either,
        expression=expression.strip(),
    )


# ------------------------------------------------------------------------- evaluation


def _offset_range(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[timedelta, timedelta]:
    """Return the smallest and largest UTC offset `zone` uses between two instants."""
    offsets = []
    moment = start
    while moment <= end:
        offsets.append(moment.astimezone(zone).utcoffset() or timedelta(0))
        moment += _OFFSET_PROBE
    return min(offsets), max(offsets)


@dataclass(frozen=True, kw_only=True, slots=True)
class CronSchedule:
    """A normalized cron schedule; build one with `parse_cron`.

    Fields hold APScheduler syntax: `*` or an explicit comma list (numbers; weekday
    names `mon`..`sun`). `day_or_weekday` is crontab's rule that a day matching
    either a restricted day-of-month or a restricted day-of-week fires.
    """

    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str
    day_or_weekday: bool = False
    expression: str = field(default="", compare=False)
    _triggers: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("minute", "hour", "day", "month"):
            if not _NUMBERS.fullmatch(getattr(self, name)):
                raise CronError(f"{name} {getattr(self, name)!r} is not normalized; use parse_cron")
        if not _WEEKDAYS.fullmatch(self.day_of_week):
            raise CronError(f"day_of_week {self.day_of_week!r} is not normalized; use parse_cron")
        common = {"minute": self.minute, "hour": self.hour, "month": self.month, "second": "0"}
        if self.day_or_weekday:
            parts = [{"day": "*", "day_of_week": self.day_of_week}]
            if self._days_possible():
                parts.append({"day": self.day, "day_of_week": "*"})
        elif self._days_possible():
            parts = [{"day": self.day, "day_of_week": self.day_of_week}]
        else:
            raise CronError(f"{self}: day {self.day} never occurs in month {self.month}")
        try:
            triggers = tuple(CronTrigger(**common, **part, timezone=UTC) for part in parts)
        except ValueError as error:
            raise CronError(f"{self}: APScheduler rejected it: {error}") from None
        object.__setattr__(self, "_triggers", triggers)

    def _days_possible(self) -> bool:
        if self.day == "*":
            return True
        months = range(1, 13) if self.month == "*" else map(int, self.month.split(","))
        return _days_fit(frozenset(map(int, self.day.split(","))), frozenset(months))

    def __str__(self) -> str:
        fields = (self.minute, self.hour, self.day, self.month, self.day_of_week)
        return self.expression or " ".join(fields)

    def _next_wall(self, start: datetime) -> datetime | None:
        """Return the first naive wall time at or after naive `start` the fields match."""
        moment = start.replace(tzinfo=UTC)  # evaluate wall time as if it were UTC: no DST
        found = [t.get_next_fire_time(None, moment) for t in self._triggers]
        times: list[datetime] = [f for f in found if f is not None]
        return min(times).replace(tzinfo=None) if times else None

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime:
        """Return the first fire strictly after `after`, as an aware UTC datetime.

        Matching happens on wall time in `tz`. A wall time skipped by a spring-forward
        gap runs once, shifted forward by the gap; a wall time repeated on fall-back
        runs once, at its first occurrence.
        """
        if after.tzinfo is None:
            raise ValueError(f"next_after needs an aware datetime, got {after!r}")
        after = after.astimezone(UTC)
        # A wall time W runs at W - offset(W); every W whose instant is after `after`
        # lies at or beyond `after` + the smallest nearby offset. Wall order and instant
        # order can disagree around a transition, so keep scanning until no later wall
        # time can map to an earlier instant.
        lowest, _ = _offset_range(tz, after - _DAY, after + 2 * _DAY)
        candidate = self._next_wall((after + lowest).replace(tzinfo=None))
        best: datetime | None = None
        bound: datetime | None = None
        while candidate is not None and (bound is None or candidate < bound):
            instant = candidate.replace(tzinfo=tz).astimezone(UTC)  # fold=0: first occurrence
            if instant > after and (best is None or instant < best):
                best = instant
                _, highest = _offset_range(tz, best - _DAY, best + _DAY)
                bound = (best + highest).replace(tzinfo=None)
            start = candidate + _SECOND
            if bound is not None and start >= bound:
                break
            candidate = self._next_wall(start)
        if best is None:
            raise CronError(f"{self}: no run after {after.isoformat()}")
        return best


def next_fire_times(
    schedule: CronSchedule, tz: ZoneInfo, after: datetime, count: int
) -> list[datetime]:
    """Return the next `count` fires strictly after `after` (aware UTC datetimes)."""
    times: list[datetime] = []
    moment = after
    for _ in range(count):
        moment = schedule.next_after(moment, tz)
        times.append(moment)
    return times


def fires_between(
    schedule: CronSchedule, tz: ZoneInfo, after: datetime, until: datetime
) -> list[datetime]:
    """Return every fire in (`after`, `until`], looking back at most CATCH_UP_HORIZON."""
    times: list[datetime] = []
    moment = schedule.next_after(max(after, until - CATCH_UP_HORIZON), tz)
    while moment <= until:
        times.append(moment)
        moment = schedule.next_after(moment, tz)
    return times
