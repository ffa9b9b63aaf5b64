"""The game timer's cache of deadlines, and the cost of its minute job at start-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.features.games._context import Deadlines, next_minute
from bot.scheduling import Job, Scheduler, _scheduler, parse_cron
from tests.fakes import ManualClock

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


async def test_a_new_minute_job_looks_back_only_over_its_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spans: list[timedelta] = []
    real = _scheduler.fires_between

    def spy(schedule, tz, after, until):  # type: ignore[no-untyped-def]
        spans.append(until - after)
        return real(schedule, tz, after, until)

    monkeypatch.setattr(_scheduler, "fires_between", spy)
    runs: list[datetime] = []

    async def run(moment: datetime) -> None:
        runs.append(moment)

    clock = ManualClock(T + timedelta(seconds=30))
    scheduler = Scheduler(clock, history=_NeverRan(), workers=1)
    scheduler.add(
        Job(
            id="games:timer",
            community="*",
            schedule=parse_cron("* * * * *"),
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
    assert spans
    assert max(spans) <= timedelta(minutes=5, seconds=31)
