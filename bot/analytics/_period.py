"""Report periods: whole UTC days, named (`week`, `30d`) or given as dates."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

log = logging.getLogger(__name__)

MAX_DAYS = 366
NAMED_PERIODS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}
_RELATIVE = re.compile(r"^(\d{1,3})\s*([dw])$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|to)\s*(\d{4}-\d{2}-\d{2})$")


class PeriodError(ValueError):
    """A period that cannot be read; the message says what is accepted."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Period:
    """The UTC days from `start` (included) to `end` (excluded)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise PeriodError(f"a period must end after it starts ({self.start} .. {self.end})")

    @property
    def days(self) -> int:
        """Return how many days the period covers."""
        return (self.end - self.start).days

    @property
    def since(self) -> datetime:
        """Return the first instant of the period (UTC midnight)."""
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """Return the first instant after the period (UTC midnight)."""
        return datetime.combine(self.end, time(), tzinfo=UTC)

    @property
    def last_day(self) -> date:
        """Return the last day the period includes."""
        return self.end - timedelta(days=1)

    def previous(self) -> Period:
        """Return the period of the same length just before this one."""
        return Period(start=self.start - timedelta(days=self.days), end=self.start)

    def tail(self, days: int) -> Period:
        """Return the last `days` days of this period (all of it when shorter)."""
        return Period(start=max(self.start, self.end - timedelta(days=days)), end=self.end)

    def each_day(self) -> list[date]:
        """Return every day of the period, in order."""
        return [self.start + timedelta(days=offset) for offset in range(self.days)]


def last_days(days: int, today: date, *, include_today: bool = True) -> Period:
    """Return the `days` days ending with today (or with yesterday)."""
    end = today + timedelta(days=1) if include_today else today
    return Period(start=end - timedelta(days=days), end=end)


def parse_period(
    text: str | None, today: date, *, default_days: int = 7, include_today: bool = True
) -> Period:
    """Read `week`, `month`, `30d`, `4w` or `2026-10-01..2026-10-31` (last day included)."""
    if text is None or not text.strip():
        return last_days(default_days, today, include_today=include_today)
    word = text.strip().lower()
    days = NAMED_PERIODS.get(word)
    if days is None:
        relative = _RELATIVE.match(word)
        if relative is not None:
            days = int(relative.group(1)) * (7 if relative.group(2) == "w" else 1)
    if days is not None:
        if not 1 <= days <= MAX_DAYS:
            raise PeriodError(f"a period covers 1 to {MAX_DAYS} days, not {days}")
        return last_days(days, today, include_today=include_today)
    dates = _RANGE.match(word)
    if dates is None:
        raise PeriodError(
            f"unknown period {text!r}: use day, week, month, quarter, year, a number of days "
            "or weeks (30d, 4w), or two dates (2026-10-01..2026-10-31)"
        )
    try:
        first, last = (date.fromisoformat(value) for value in dates.groups())
    except ValueError as error:
        raise PeriodError(f"invalid date in {text!r}: {error}") from None
    if last < first:
        raise PeriodError(f"the period {text!r} ends before it starts")
    period = Period(start=first, end=last + timedelta(days=1))
    if period.days > MAX_DAYS:
        raise PeriodError(f"a period covers 1 to {MAX_DAYS} days, not {period.days}")
    return period
