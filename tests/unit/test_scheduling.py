"""The scheduler and its cron evaluation, driven by a ManualClock."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.scheduling import (
    CronError,
    CronSchedule,
    Job,
    Scheduler,
    next_fire_times,
    parse_cron,
)
from tests.fakes import ManualClock

pytestmark = pytest.mark.scheduling

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday


def at(text: str) -> datetime:
    """Return the aware UTC instant of an ISO local time with an explicit offset."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return moment.astimezone(UTC)


def weekdays(expression: str) -> set[str]:
    runs = next_fire_times(parse_cron(expression), ZoneInfo("UTC"), MONDAY, 21)
    return {run.strftime("%a").lower() for run in runs}


# ------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("expression", "days"),
    [
        ("0 9 * * 0", {"sun"}),
        ("0 9 * * 7", {"sun"}),
        ("0 9 * * 1", {"mon"}),
        ("0 9 * * 6", {"sat"}),
        ("0 9 * * 1-5", {"mon", "tue", "wed", "thu", "fri"}),
        ("0 9 * * mon-fri", {"mon", "tue", "wed", "thu", "fri"}),
        ("0 9 * * MON-FRI", {"mon", "tue", "wed", "thu", "fri"}),
        ("0 9 * * 5-7", {"fri", "sat", "sun"}),
        ("0 9 * * fri-sun", {"fri", "sat", "sun"}),
        ("0 9 * * 0,7", {"sun"}),
        ("0 9 * * 1,3,5", {"mon", "wed", "fri"}),
        ("0 9 * * */2", {"sun", "tue", "thu", "sat"}),
        ("0 9 * * sun,sat", {"sun", "sat"}),
        ("0 9 * * 0-7", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}),
    ],
)
def test_weekdays_follow_crontab_numbering(expression: str, days: set[str]) -> None:
    assert weekdays(expression) == days


def test_weekday_field_is_translated_to_names() -> None:
    assert parse_cron("0 9 * * 0").day_of_week == "sun"
    assert parse_cron("0 9 * * 1-5").day_of_week == "mon,tue,wed,thu,fri"
    assert parse_cron("0 9 * * 0-6").day_of_week == "*"


def test_equivalent_expressions_normalize_to_equal_schedules() -> None:
    assert parse_cron("0 9 * * 1-5") == parse_cron("00 09 * * mon,tue,wed,thu,fri")
    assert parse_cron("*/15 * * * *") == parse_cron("0,15,30,45 * * * *")
    assert parse_cron("@weekly") == parse_cron("0 0 * * 7")
    assert hash(parse_cron("0 9 * * 7")) == hash(parse_cron("0 9 * * sun"))
    assert str(parse_cron("  0 9 * * 7 ")) == "0 9 * * 7"


@pytest.mark.parametrize(
    ("alias", "same_as"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@midnight", "0 0 * * *"),
    ],
)
def test_aliases(alias: str, same_as: str) -> None:
    assert parse_cron(alias) == parse_cron(same_as)


def test_restricted_day_of_month_and_weekday_match_either() -> None:
    # crontab: "the 1st, and every Monday" (APScheduler alone would mean "a Monday the 1st")
    runs = next_fire_times(parse_cron("0 9 1 * mon"), ZoneInfo("UTC"), MONDAY, 6)
    assert [run.day for run in runs] == [1, 8, 15, 22, 29, 1]
    # a field starting with * keeps the AND rule: odd days that are Mondays
    runs = next_fire_times(parse_cron("0 9 */2 * mon"), ZoneInfo("UTC"), MONDAY, 3)
    assert [run.date().isoformat() for run in runs] == ["2026-06-01", "2026-06-15", "2026-06-29"]


def test_steps_ranges_lists_and_month_names() -> None:
    schedule = parse_cron("5-20/5 8,12 * jan-mar/2 *")
    assert (schedule.minute, schedule.hour, schedule.month) == ("5,10,15,20", "8,12", "1,3")
    assert parse_cron("50/5 * * * *").minute == "50,55"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("61 * * * *", 'minute field "61": must be 0-59'),
        ("1,61 * * * *", 'minute field "1,61": must be 0-59'),
        ("x * * * *", 'minute field "x": must be 0-59'),
        ("* 24 * * *", 'hour field "24": must be 0-23'),
        ("* * 0 * *", 'day-of-month field "0": must be 1-31'),
        ("* * 32 * *", 'day-of-month field "32": must be 1-31'),
        ("* * * 13 *", 'month field "13": must be 1-12 or jan-dec'),
        ("* * * janv *", 'month field "janv": must be 1-12 or jan-dec'),
        ("* * * * 8", 'day-of-week field "8": must be 0-7 or sun-sat'),
        ("* * * * funday", 'day-of-week field "funday": must be 0-7 or sun-sat'),
        ("*/0 * * * *", 'minute field "*/0": step must be at least 1'),
        ("*/60 * * * *", 'minute field "*/60": step must be at most 59'),
        ("* 1-5/7 * * *", 'hour field "1-5/7": step must be at most 4'),
        ("59/1 * * * *", 'minute field "59/1": a step needs a range of values'),
        ("5-2 * * * *", 'minute field "5-2": range start 5 is after its end 2'),
        ("* * * * sat-mon", 'day-of-week field "sat-mon": range start sat is after its end mon'),
        (
            "1,,2 * * * *",
            'minute field "1,,2": expected a number, a range (1-5), a step (*/15) '
            "or a list (1,3,5)",
        ),
        (
            "* */ * * *",
            'hour field "*/": expected a number, a range (1-5), a step (*/15) or a list (1,3,5)',
        ),
        ("0 0 31 2 *", 'day-of-month field "31": never occurs in month field "2"'),
        ("0 0 31 apr,jun *", 'day-of-month field "31": never occurs in month field "apr,jun"'),
        ("0 9 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("0 9 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
        ("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"),
        (
            "@fortnightly",
            'unknown alias "@fortnightly": expected one of @annually, @daily, @hourly, '
            "@midnight, @monthly, @weekly, @yearly",
        ),
    ],
)
def test_parse_errors_name_the_field_and_the_allowed_values(expression: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_cron(expression)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "text",
    "0 59 60 * */0 */1 */59 */60 5-2 2-5 1-5/4 1-5/5 59/1 5/15 0-59/30 7,8,9 1,,2 a */ L".split(),
)
def test_minute_grammar_agrees_with_apscheduler(text: str) -> None:
    # Terreau accepts a field exactly when APScheduler's own parser does, with the same values.
    try:
        trigger = CronTrigger(minute=text, second="0", timezone=UTC)
    except ValueError:
        trigger = None
    try:
        schedule = parse_cron(f"{text} * * * *")
    except CronError:
        schedule = None
    assert (schedule is None) == (trigger is None)
    if schedule is not None:
        hour = datetime(2026, 6, 1, 10, tzinfo=UTC)
        theirs, moment = set(), hour
        while (moment := trigger.get_next_fire_time(None, moment)) < hour + timedelta(hours=1):
            theirs.add(moment.minute)
            moment += timedelta(seconds=1)
        ours = (
            set(range(60)) if schedule.minute == "*" else set(map(int, schedule.minute.split(",")))
        )
        assert ours == theirs


def test_schedules_are_only_built_from_normalized_fields() -> None:
    with pytest.raises(CronError, match="not normalized"):
        CronSchedule(minute="0", hour="9", day="*", month="*", day_of_week="1-5")


# ----------------------------------------------------------------------------- wall time


def test_next_after_is_strictly_after() -> None:
    schedule = parse_cron("0 9 * * *")
    nine = datetime(2026, 6, 1, 9, tzinfo=UTC)
    assert schedule.next_after(nine - timedelta(seconds=1), ZoneInfo("UTC")) == nine
    assert schedule.next_after(nine, ZoneInfo("UTC")) == nine + timedelta(days=1)


def test_cron_is_evaluated_in_the_community_timezone() -> None:
    runs = next_fire_times(parse_cron("0 9 * * mon"), PARIS, MONDAY, 2)
    assert runs == [at("2026-06-01T09:00+02:00"), at("2026-06-08T09:00+02:00")]
    winter = next_fire_times(parse_cron("0 9 * * mon"), PARIS, datetime(2026, 1, 1, tzinfo=UTC), 1)
    assert winter == [at("2026-01-05T09:00+01:00")]


@pytest.mark.parametrize(
    ("zone", "start", "cron", "expected"),
    [
        # spring forward: 02:30 does not exist, it runs once at 03:30 the new offset
        (
            PARIS,
            "2026-03-27T12:00+00:00",
            "30 2 * * *",
            ["2026-03-28T02:30+01:00", "2026-03-29T03:30+02:00", "2026-03-30T02:30+02:00"],
        ),
        # fall back: 02:30 happens twice, it runs once at the first one
        (
            PARIS,
            "2026-10-24T12:00+00:00",
            "30 2 * * *",
            ["2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00", "2026-10-27T02:30+01:00"],
        ),
        (
            NEW_YORK,
            "2026-03-07T12:00+00:00",
            "30 2 * * *",
            ["2026-03-08T03:30-04:00", "2026-03-09T02:30-04:00", "2026-03-10T02:30-04:00"],
        ),
        # New York falls back from 02:00 to 01:00: 02:30 is unambiguous, 01:30 repeats
        (
            NEW_YORK,
            "2026-10-31T12:00+00:00",
            "30 2 * * *",
            ["2026-11-01T02:30-05:00", "2026-11-02T02:30-05:00", "2026-11-03T02:30-05:00"],
        ),
        (
            NEW_YORK,
            "2026-10-31T12:00+00:00",
            "30 1 * * *",
            ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00", "2026-11-03T01:30-05:00"],
        ),
        # hourly: the gap hour and the repeated hour each produce a single run
        (
            PARIS,
            "2026-03-28T23:30+00:00",
            "0 * * * *",
            ["2026-03-29T01:00+01:00", "2026-03-29T03:00+02:00", "2026-03-29T04:00+02:00"],
        ),
        (
            PARIS,
            "2026-10-24T22:30+00:00",
            "0 * * * *",
            ["2026-10-25T01:00+02:00", "2026-10-25T02:00+02:00", "2026-10-25T03:00+01:00"],
        ),
        # wall order and instant order differ around the gap: 02:50 runs after 03:10
        (
            PARIS,
            "2026-03-28T23:30+00:00",
            "10,50 2,3 * * *",
            ["2026-03-29T03:10+02:00", "2026-03-29T03:50+02:00", "2026-03-30T02:10+02:00"],
        ),
    ],
)
def test_dst_transitions(zone: ZoneInfo, start: str, cron: str, expected: list[str]) -> None:
    runs = next_fire_times(parse_cron(cron), zone, at(start), len(expected))
    assert runs == [at(text) for text in expected]
    assert all(run.tzinfo is UTC for run in runs)


def test_a_gap_run_still_follows_a_plan_made_after_the_gap_began() -> None:
    # planning at 03:10 CEST (just after the jump): today's 02:30 runs at 03:30
    just_after = at("2026-03-29T03:10+02:00")
    assert parse_cron("30 2 * * *").next_after(just_after, PARIS) == at("2026-03-29T03:30+02:00")


def test_half_hour_gap_orders_runs_by_instant_not_wall_time() -> None:
    # Lord Howe springs forward 02:00 -> 02:30: 02:20 runs at 02:50, after 02:40
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    runs = next_fire_times(parse_cron("20,40 2 * * *"), lord_howe, at("2026-10-03T12:00+00:00"), 3)
    assert runs == [
        at("2026-10-04T02:40+11:00"),
        at("2026-10-04T02:50+11:00"),
        at("2026-10-05T02:20+11:00"),
    ]


def test_next_after_from_inside_the_repeated_hour() -> None:
    # 02:45 in the second pass of the repeated hour: today's 02:30 already ran
    second_pass = at("2026-10-25T02:45+01:00")
    nxt = parse_cron("30 2 * * *").next_after(second_pass, PARIS)
    assert nxt == at("2026-10-26T02:30+01:00")


def test_next_after_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_cron("0 9 * * *").next_after(datetime(2026, 1, 1), PARIS)  # noqa: DTZ001


# ----------------------------------------------------------------------------- scheduler


@dataclass
class Ledger:
    """An in-memory run ledger: claims are unique per (job, instant); it is the history."""

    claims: set[tuple[str, datetime]] = field(default_factory=set)
    attempts: list[tuple[str, datetime]] = field(default_factory=list)

    def claim(self, job_id: str, scheduled_for: datetime) -> bool:
        self.attempts.append((job_id, scheduled_for))
        if (job_id, scheduled_for) in self.claims:
            return False
        self.claims.add((job_id, scheduled_for))
        return True

    async def last_run(self, job_id: str) -> datetime | None:
        return max((when for job, when in self.claims if job == job_id), default=None)


@dataclass
class Runs:
    """What jobs did: (job id, scheduled instant, clock time when it ran)."""

    clock: ManualClock
    ledger: Ledger = field(default_factory=Ledger)
    done: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    def job(
        self,
        job_id: str,
        cron: str,
        *,
        timezone: str = "UTC",
        grace: timedelta = timedelta(hours=1),
        body: Callable[[], Awaitable[None]] | None = None,
    ) -> Job:
        async def run(scheduled_for: datetime) -> None:
            if not self.ledger.claim(job_id, scheduled_for):
                return
            if body is not None:
                await body()
            self.done.append((job_id, scheduled_for, self.clock.now()))

        return Job(
            id=job_id,
            community=f"discord:{job_id}",
            schedule=parse_cron(cron),
            timezone=timezone,
            grace=grace,
            run=run,
        )

    def instants(self, job_id: str | None = None) -> list[datetime]:
        return [when for job, when, _ in self.done if job_id is None or job == job_id]


@pytest.fixture
async def schedulers() -> AsyncIterator[list[Scheduler]]:
    made: list[Scheduler] = []
    yield made
    for scheduler in made:
        await scheduler.stop()


@pytest.fixture
def make(schedulers: list[Scheduler]) -> Callable[..., Scheduler]:
    def build(clock: ManualClock, **options: Any) -> Scheduler:
        scheduler = Scheduler(clock, **options)
        schedulers.append(scheduler)
        return scheduler

    return build


async def settle(scheduler: Scheduler) -> None:
    # The bound only turns a hang into a failure; on a ManualClock this returns at once.
    await asyncio.wait_for(scheduler.idle(), timeout=60)


async def advance_to(clock: ManualClock, scheduler: Scheduler, moment: datetime) -> None:
    await clock.set(moment)
    await settle(scheduler)


async def test_a_job_fires_when_the_clock_reaches_its_time_and_not_before(make) -> None:
    clock = ManualClock(MONDAY.replace(hour=8))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("posts:discord:1:qotw", "0 9 * * mon"))
    await scheduler.start()
    await settle(scheduler)
    await advance_to(clock, scheduler, MONDAY.replace(hour=8, minute=59, second=59))
    assert runs.done == []
    nine = MONDAY.replace(hour=9)
    await advance_to(clock, scheduler, nine)
    assert runs.done == [("posts:discord:1:qotw", nine, nine)]
    await advance_to(clock, scheduler, nine + timedelta(days=6, hours=23))
    assert len(runs.done) == 1
    await advance_to(clock, scheduler, nine + timedelta(days=7))
    assert runs.instants() == [nine, nine + timedelta(days=7)]


async def test_two_jobs_sharing_a_trigger_both_fire(make) -> None:
    clock = ManualClock(MONDAY)
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("a", "0 9 * * *", timezone="Europe/Paris"))
    scheduler.add(runs.job("b", "0 9 * * *", timezone="Europe/Paris"))
    scheduler.add(runs.job("c", "0 8 * * *", timezone="Europe/London"))  # the same instant
    await scheduler.start()
    seven_utc = MONDAY.replace(hour=7)
    await advance_to(clock, scheduler, seven_utc)
    assert sorted(job for job, _, _ in runs.done) == ["a", "b", "c"]
    assert set(runs.instants()) == {seven_utc}


@pytest.mark.parametrize("queue_size", [10_000, 100])
async def test_ten_thousand_jobs_at_one_instant_run_once_each_with_bounded_parallelism(
    make, queue_size: int
) -> None:
    clock = ManualClock(MONDAY)
    runs = Runs(clock)
    active = peak = 0

    async def body() -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        for _ in range(3):
            await asyncio.sleep(0)
        active -= 1

    scheduler = make(clock, workers=16, queue_size=queue_size)
    for number in range(10_000):
        zone = ("Europe/Paris", "Europe/Berlin")[number % 2]
        scheduler.add(
            runs.job(f"posts:discord:{number}:qotw", "0 9 * * mon", timezone=zone, body=body)
        )
    await scheduler.start()
    await advance_to(clock, scheduler, MONDAY.replace(hour=7))
    counts = Counter(job for job, _, _ in runs.done)
    assert len(counts) == 10_000
    assert set(counts.values()) == {1}
    assert len(runs.ledger.attempts) == 10_000
    assert peak == 16


async def test_a_run_later_than_its_grace_is_skipped(make, caplog) -> None:
    clock = ManualClock(MONDAY.replace(hour=8))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("short", "0 9 * * *", grace=timedelta(minutes=5)))
    scheduler.add(runs.job("long", "0 9 * * *", grace=timedelta(minutes=15)))
    await scheduler.start()
    await settle(scheduler)
    with caplog.at_level(logging.WARNING, logger="bot.scheduling"):
        # the process was frozen (suspended laptop, stalled loop) from 08:00 to 09:10
        await advance_to(clock, scheduler, MONDAY.replace(hour=9, minute=10))
    assert [job for job, _, _ in runs.done] == ["long"]
    assert runs.done[0][1] == MONDAY.replace(hour=9)
    assert "job short: run at 2026-06-01T09:00:00+00:00 skipped, 0:10:00 late" in caplog.text


async def test_a_timer_that_wakes_late_runs_only_the_latest_missed_run(make, caplog) -> None:
    clock = ManualClock(MONDAY.replace(hour=8, minute=30))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("hourly", "0 * * * *", grace=timedelta(hours=3)))
    await scheduler.start()
    await settle(scheduler)
    runs.done.clear()  # 08:00 ran as a catch-up
    with caplog.at_level(logging.WARNING, logger="bot.scheduling"):
        await advance_to(clock, scheduler, MONDAY.replace(hour=11, minute=30))
    assert runs.instants() == [MONDAY.replace(hour=11)]
    assert "2 runs missed while the timer was late, skipped" in caplog.text
    await advance_to(clock, scheduler, MONDAY.replace(hour=12))
    assert runs.instants() == [MONDAY.replace(hour=11), MONDAY.replace(hour=12)]


async def test_a_backlog_behind_a_slow_run_is_judged_against_grace(make) -> None:
    clock = ManualClock(MONDAY.replace(hour=8))
    runs = Runs(clock)
    release = asyncio.Event()

    async def slow() -> None:
        await release.wait()

    scheduler = make(clock, workers=1)
    scheduler.add(runs.job("a-slow", "0 9 * * *", body=slow))
    scheduler.add(runs.job("b-patient", "0 9 * * *", grace=timedelta(hours=2)))
    scheduler.add(runs.job("c-hasty", "0 9 * * *", grace=timedelta(minutes=1)))
    await scheduler.start()
    await clock.set(MONDAY.replace(hour=9))
    await clock.set(MONDAY.replace(hour=9, minute=30))  # "a-slow" held the only worker
    release.set()
    await settle(scheduler)
    assert sorted(job for job, _, _ in runs.done) == ["a-slow", "b-patient"]


async def test_catch_up_runs_the_latest_missed_run_once_and_skips_older(make, caplog) -> None:
    clock = ManualClock(MONDAY.replace(hour=9, minute=20))
    runs = Runs(clock)
    three_weeks_ago = MONDAY.replace(hour=9) - timedelta(weeks=3)
    runs.ledger.claims.add(("weekly", three_weeks_ago))
    scheduler = make(clock, history=runs.ledger)
    scheduler.add(runs.job("weekly", "0 9 * * mon", grace=timedelta(hours=1)))
    with caplog.at_level(logging.INFO, logger="bot.scheduling"):
        await scheduler.start()
        await settle(scheduler)
    assert runs.done == [("weekly", MONDAY.replace(hour=9), MONDAY.replace(hour=9, minute=20))]
    assert (
        "job weekly: 2 runs missed while stopped, skipped; last one at 2026-05-25T09:00:00+00:00"
        in caplog.text
    )
    await advance_to(clock, scheduler, MONDAY.replace(hour=23))
    assert len(runs.done) == 1


async def test_catch_up_skips_older_runs_even_within_grace(make, caplog) -> None:
    clock = ManualClock(MONDAY.replace(hour=12, minute=20))
    runs = Runs(clock)
    runs.ledger.claims.add(("hourly", MONDAY.replace(hour=9)))
    scheduler = make(clock, history=runs.ledger)
    scheduler.add(runs.job("hourly", "0 * * * *", grace=timedelta(hours=6)))
    with caplog.at_level(logging.INFO, logger="bot.scheduling"):
        await scheduler.start()
        await settle(scheduler)
    assert runs.instants() == [MONDAY.replace(hour=12)]
    assert (
        "job hourly: 2 runs missed while stopped, skipped; last one at 2026-06-01T11:00:00+00:00"
        in caplog.text
    )


async def test_a_job_starting_after_the_gap_still_gets_its_shifted_run(make) -> None:
    clock = ManualClock(at("2026-03-29T03:10+02:00"))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("night", "30 2 * * *", timezone="Europe/Paris", grace=timedelta(0)))
    await scheduler.start()
    await advance_to(clock, scheduler, at("2026-03-29T03:30+02:00"))
    assert runs.instants() == [at("2026-03-29T03:30+02:00")]


async def test_catch_up_skips_everything_beyond_grace(make, caplog) -> None:
    clock = ManualClock(MONDAY.replace(hour=12))
    runs = Runs(clock)
    runs.ledger.claims.add(("weekly", MONDAY.replace(hour=9) - timedelta(weeks=3)))
    scheduler = make(clock, history=runs.ledger)
    scheduler.add(runs.job("weekly", "0 9 * * mon", grace=timedelta(hours=1)))
    with caplog.at_level(logging.INFO, logger="bot.scheduling"):
        await scheduler.start()
        await settle(scheduler)
    assert runs.done == []
    assert (
        "job weekly: 3 runs missed while stopped, skipped; last one at 2026-06-01T09:00:00+00:00"
        in caplog.text
    )


async def test_a_job_that_never_ran_owes_only_the_run_within_grace(make, caplog) -> None:
    clock = ManualClock(MONDAY.replace(hour=9, minute=5))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("daily", "0 9 * * *", grace=timedelta(minutes=30)))
    with caplog.at_level(logging.INFO, logger="bot.scheduling"):
        await scheduler.start()
        await settle(scheduler)
    assert runs.instants() == [MONDAY.replace(hour=9)]
    assert "missed" not in caplog.text


async def test_a_job_that_never_ran_and_is_past_grace_waits_for_its_next_time(make) -> None:
    clock = ManualClock(MONDAY.replace(hour=10))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("daily", "0 9 * * *", grace=timedelta(minutes=30)))
    await scheduler.start()
    await settle(scheduler)
    assert runs.instants() == []


async def test_nothing_runs_when_history_has_the_latest_run(make) -> None:
    clock = ManualClock(MONDAY.replace(hour=9, minute=20))
    runs = Runs(clock)
    runs.ledger.claims.add(("weekly", MONDAY.replace(hour=9)))
    scheduler = make(clock, history=runs.ledger)
    scheduler.add(runs.job("weekly", "0 9 * * mon"))
    await scheduler.start()
    await settle(scheduler)
    assert runs.ledger.attempts == []


async def test_nothing_runs_twice_across_stop_and_start(make) -> None:
    clock = ManualClock(MONDAY.replace(hour=8))
    runs = Runs(clock)
    scheduler = make(clock, history=runs.ledger)
    scheduler.add(runs.job("daily", "0 9 * * *"))
    scheduler.add(runs.job("hourly", "0 * * * *"))
    await scheduler.start()
    for hours in range(1, 4):
        await advance_to(clock, scheduler, MONDAY.replace(hour=8) + timedelta(hours=hours))
        await scheduler.stop()
        await scheduler.stop()  # idempotent
        await scheduler.start()
        await settle(scheduler)
    await advance_to(clock, scheduler, MONDAY.replace(hour=12, minute=30))
    assert Counter(runs.ledger.attempts).most_common(1)[0][1] == 1
    assert sorted(runs.instants("hourly")) == [MONDAY.replace(hour=h) for h in range(8, 13)]
    assert runs.instants("daily") == [MONDAY.replace(hour=9)]


async def test_a_failing_job_does_not_stop_the_others(make, caplog) -> None:
    clock = ManualClock(MONDAY.replace(hour=8))
    runs = Runs(clock)

    async def boom() -> None:
        raise RuntimeError("platform exploded")

    scheduler = make(clock, workers=1)
    scheduler.add(runs.job("a-broken", "0 9 * * *", body=boom))
    scheduler.add(runs.job("b-fine", "0 9 * * *"))
    await scheduler.start()
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        await advance_to(clock, scheduler, MONDAY.replace(hour=9))
        await advance_to(clock, scheduler, MONDAY.replace(hour=9) + timedelta(days=1))
    assert runs.instants("b-fine") == [
        MONDAY.replace(hour=9),
        MONDAY.replace(hour=9) + timedelta(days=1),
    ]
    assert "job a-broken: run at 2026-06-01T09:00:00+00:00 failed" in caplog.text
    assert "platform exploded" in caplog.text
    assert caplog.text.count("job a-broken: run at") == 2


async def test_jobs_added_and_removed_while_running_replan_the_timer(make) -> None:
    clock = ManualClock(MONDAY.replace(hour=8))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("late", "0 12 * * *"))
    await scheduler.start()
    await settle(scheduler)
    scheduler.add(runs.job("early", "0 9 * * *"))
    scheduler.add(runs.job("gone", "30 8 * * *"))
    await settle(scheduler)
    scheduler.remove("gone")
    assert [job.id for job in scheduler.jobs()] == ["early", "late"]
    await advance_to(clock, scheduler, MONDAY.replace(hour=9))
    assert runs.instants() == [MONDAY.replace(hour=9)]
    await advance_to(clock, scheduler, MONDAY.replace(hour=12))
    assert runs.instants("late") == [MONDAY.replace(hour=12)]
    with pytest.raises(KeyError, match="no scheduled job gone"):
        scheduler.remove("gone")
    with pytest.raises(ValueError, match="job late is already scheduled"):
        scheduler.add(runs.job("late", "0 13 * * *"))


async def test_next_runs_lists_upcoming_instants(make) -> None:
    clock = ManualClock(at("2026-03-28T12:00+00:00"))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("night", "30 2 * * *", timezone="Europe/Paris"))
    assert scheduler.next_runs("night", 2) == [
        at("2026-03-29T03:30+02:00"),
        at("2026-03-30T02:30+02:00"),
    ]


@pytest.mark.parametrize(
    ("zone", "days", "expected"),
    [
        (
            "Europe/Paris",
            ("2026-03-28", "2026-03-29", "2026-03-30"),
            ["2026-03-28T02:30+01:00", "2026-03-29T03:30+02:00", "2026-03-30T02:30+02:00"],
        ),
        (
            "Europe/Paris",
            ("2026-10-24", "2026-10-25", "2026-10-26"),
            ["2026-10-24T02:30+02:00", "2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00"],
        ),
        (
            "America/New_York",
            ("2026-03-07", "2026-03-08", "2026-03-09"),
            ["2026-03-07T02:30-05:00", "2026-03-08T03:30-04:00", "2026-03-09T02:30-04:00"],
        ),
        (
            "America/New_York",
            ("2026-10-31", "2026-11-01", "2026-11-02"),
            ["2026-10-31T02:30-04:00", "2026-11-01T02:30-05:00", "2026-11-02T02:30-05:00"],
        ),
    ],
)
async def test_a_daily_job_runs_once_a_day_across_dst(
    make, zone: str, days: tuple[str, ...], expected: list[str]
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(days[0]).replace(tzinfo=tz).astimezone(UTC)
    clock = ManualClock(start - timedelta(hours=1))
    runs = Runs(clock)
    scheduler = make(clock)
    scheduler.add(runs.job("night", "30 2 * * *", timezone=zone, grace=timedelta(0)))
    await scheduler.start()
    await settle(scheduler)
    moment = clock.now()
    while moment < start + timedelta(days=3):
        moment += timedelta(minutes=10)
        await advance_to(clock, scheduler, moment)
    assert [(when, ran) for _, when, ran in runs.done] == [(at(t), at(t)) for t in expected]


async def test_stop_waits_for_running_jobs_and_leaves_no_task(make) -> None:
    clock = ManualClock(MONDAY.replace(hour=8))
    runs = Runs(clock)
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> None:
        started.set()
        await release.wait()

    scheduler = make(clock, workers=4)
    scheduler.add(runs.job("slow", "0 9 * * *", body=slow))
    for number in range(20):
        scheduler.add(runs.job(f"queued-{number}", "0 9 * * *"))
    before = asyncio.all_tasks()
    await scheduler.start()
    await clock.set(MONDAY.replace(hour=9))
    await started.wait()
    stopping = asyncio.create_task(scheduler.stop())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not stopping.done()  # the slow run is still in flight
    release.set()
    await stopping
    assert [job for job, _, _ in runs.done if job == "slow"] == ["slow"]
    assert asyncio.all_tasks() == before
    await scheduler.stop()
    assert asyncio.all_tasks() == before


async def test_start_twice_is_an_error(make) -> None:
    scheduler = make(ManualClock(MONDAY))
    await scheduler.start()
    with pytest.raises(RuntimeError, match="already started"):
        await scheduler.start()


def test_job_validation() -> None:
    async def run(_: datetime) -> None:
        return None

    schedule = parse_cron("@daily")
    with pytest.raises(ValueError, match="job x: unknown timezone 'Mars/Olympus'"):
        Job(
            id="x",
            community="c",
            schedule=schedule,
            timezone="Mars/Olympus",
            grace=timedelta(0),
            run=run,
        )
    with pytest.raises(ValueError, match="grace must not be negative"):
        Job(id="x", community="c", schedule=schedule, timezone="UTC", grace=timedelta(-1), run=run)
