"""The game timer's cache of deadlines, and the cost of its minute job at start-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.features.games._context import Deadlines, next_minute
from bot.scheduling import CronSchedule, Job, Scheduler, parse_cron
from tests.fakes import ManualClock

pytestmark = pytest.mark.games

T = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


def test_closing_times_round_up_to_the_minute() -> None:
    assert next_minute(T) == T
    assert next_minute(T + timedelta(seconds=1)) == T + timedelta(minutes=1)
    assert next_minute(T + timedelta(seconds=59, microseconds=5)) == T + timedelta(minutes=1)


def test_nothing_is_due_until_a_noted_time() -> None:
    deadlines = Deadlines()
    assert not deadlines.due(T)
    assert not deadlines.idle  # not loaded yet: unknown
    deadlines.reloading()
    deadlines.reset(None)
    assert deadlines.idle
    deadlines.note(T + timedelta(minutes=5))
    deadlines.note(T + timedelta(minutes=2))
    assert not deadlines.idle
    assert not deadlines.due(T + timedelta(minutes=1))
    assert deadlines.due(T + timedelta(minutes=2))


def test_a_reload_keeps_what_was_noted_while_it_read() -> None:
    deadlines = Deadlines()
    deadlines.note(T)
    deadlines.reloading()
    deadlines.note(T + timedelta(minutes=3))  # a round started during the read
    deadlines.reset(None)  # the read did not see it yet
    assert deadlines.loaded
    assert deadlines.due(T + timedelta(minutes=3))
    deadlines.reloading()
    deadlines.reset(None)
    assert not deadlines.due(T + timedelta(days=1))
    deadlines.reloading()
    deadlines.reset(T + timedelta(minutes=7))
    assert not deadlines.due(T + timedelta(minutes=6))
    assert deadlines.due(T + timedelta(minutes=7))


class _NeverRan:
    async def last_run(self, job_id: str) -> datetime | None:
        return None


class CountedSchedule(CronSchedule):
    """A cron schedule that notes every fire time asked of it: what a catch-up costs."""

    @classmethod
    def of(cls, expression: str) -> CountedSchedule:
        parsed = parse_cron(expression)
        schedule = cls(
            **{name: getattr(parsed, name) for name in PARSED_FIELDS}, expression=expression
        )
        object.__setattr__(schedule, "asked", [])
        return schedule

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime:
        self.asked.append(after)  # type: ignore[attr-defined]
        return super().next_after(after, tz)


PARSED_FIELDS = ("minute", "hour", "day", "month", "day_of_week", "day_or_weekday")


async def test_a_new_minute_job_looks_back_only_over_its_grace() -> None:
    runs: list[datetime] = []

    async def run(moment: datetime) -> None:
        runs.append(moment)

    clock = ManualClock(T + timedelta(seconds=30))
    schedule = CountedSchedule.of("* * * * *")
    scheduler = Scheduler(clock, history=_NeverRan(), workers=1)
    scheduler.add(
        Job(
            id="games:timer",
            community="*",
            schedule=schedule,
            timezone="UTC",
            grace=timedelta(minutes=5),
            run=run,
        )
    )
    await scheduler.start()
    try:
        await scheduler.idle()
    finally:
        await scheduler.stop()
    assert runs == [T]  # the run still within its grace
    # Every fire the scheduler looked at lies within the grace (and the next one ahead):
    # a few minutes' worth, not the weeks of minutes a catch-up horizon would walk.
    asked: list[datetime] = schedule.asked  # type: ignore[attr-defined]
    assert asked
    assert min(asked) >= T - timedelta(minutes=5, seconds=1)
    assert len(asked) <= 10
