"""Scheduling: cron on wall-clock time and a fan-out scheduler; the only user of APScheduler."""

from __future__ import annotations

from bot.scheduling._cron import (
    CATCH_UP_HORIZON,
    CronError,
    CronSchedule,
    next_fire_times,
    parse_cron,
)
from bot.scheduling._job import Job
from bot.scheduling._scheduler import RunHistory, RunObserver, Scheduler

__all__ = [
    "CATCH_UP_HORIZON",
    "CronError",
    "CronSchedule",
    "Job",
    "RunHistory",
    "RunObserver",
    "Scheduler",
    "next_fire_times",
    "parse_cron",
]
