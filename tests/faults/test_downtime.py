"""Down for six hours across several rituals: each coalesces to one late run or is skipped."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.conftest import FaultBot, config_text

pytestmark = pytest.mark.scheduling

# Tuesday 24 November 2026 in Paris is UTC+1.
DAY_ONE = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 07:00 in Paris
DAY = timedelta(days=1)

RITUALS = """
[[communities.posts.schedules]]
name = "morning"          # 09:00, grace 2 h: five hours late, skipped
channel = "general"
cron = "0 9 * * *"
pool = "discussion"
grace_minutes = 120

[[communities.posts.schedules]]
name = "hourly"           # 10:00 to 13:00, grace 90 min: the 13:00 run only, once
channel = "general"
cron = "0 10-13 * * *"
pool = "discussion"
grace_minutes = 90

[[communities.posts.schedules]]
name = "noon"             # 12:00, grace 30 min: two hours late, skipped
channel = "general"
cron = "0 12 * * *"
pool = "discussion"
grace_minutes = 30

[[communities.posts.schedules]]
name = "tea"              # 13:30, grace 1 h: half an hour late, runs
channel = "general"
cron = "30 13 * * *"
pool = "discussion"
grace_minutes = 60
"""


def paris(day: datetime, hour: int, minute: int = 0) -> str:
    """Return the ledger's text for `hour:minute` in Paris (UTC+1) on `day`'s date."""
    moment = day.replace(hour=0, minute=minute) + timedelta(hours=hour - 1)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


async def walk(bot: FaultBot, until: datetime) -> None:
    """Let the clock run to `until` a quarter of an hour at a time."""
    while bot.clock.now() < until:
        await bot.at(min(until, bot.clock.now() + timedelta(minutes=15)))


def job(name: str) -> str:
    return f"posts:console:demo:{name}"


async def test_six_hours_down_coalesces_or_skips_each_ritual_per_policy(
    fault_bot: FaultBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing lost, nothing doubled: after six hours down (08:00 to 14:00), the ledger
    holds exactly one late run for each ritual still within its grace (hourly at 13:00,
    tea at 13:30), with one sent outbox row each; rituals past their grace (morning,
    noon) and the coalesced older runs (hourly at 10:00, 11:00, 12:00) have no ledger
    row, no outbox row, and a log line saying they were skipped.
    """
    caplog.set_level(logging.INFO, logger="bot.scheduling")
    text = config_text(rituals=RITUALS)
    await fault_bot.clock.set(DAY_ONE)
    await fault_bot.start(text)
    await walk(fault_bot, DAY_ONE + timedelta(hours=8))  # to 15:00: a whole first day runs
    day_one = fault_bot.rows(
        "SELECT job_id FROM run_ledger WHERE job_id LIKE 'posts:%' ORDER BY scheduled_for"
    )
    assert len(day_one) == 7  # morning, 4 x hourly, noon, tea
    await fault_bot.stop()

    await fault_bot.clock.set(DAY_ONE + DAY + timedelta(hours=1))  # day two, 08:00: down
    await fault_bot.clock.set(DAY_ONE + DAY + timedelta(hours=7))  # 14:00: back up
    caplog.clear()
    await fault_bot.start(text)

    day_two = DAY_ONE + DAY
    ledger = fault_bot.rows(
        "SELECT job_id, scheduled_for, status FROM run_ledger "
        "WHERE job_id LIKE 'posts:%' AND scheduled_for >= ? "
        "ORDER BY scheduled_for",
        paris(day_two, 0),
    )
    assert ledger == [
        (job("hourly"), paris(day_two, 13), "done"),
        (job("tea"), paris(day_two, 13, 30), "done"),
    ]
    outbox = fault_bot.rows(
        "SELECT job_id, scheduled_for, status FROM outbox WHERE scheduled_for >= ? "
        "ORDER BY scheduled_for",
        paris(day_two, 0),
    )
    assert outbox == [
        (job("hourly"), paris(day_two, 13), "sent"),
        (job("tea"), paris(day_two, 13, 30), "sent"),
    ]
    assert len(fault_bot.platform.posts()) == 2
    assert f"job {job('morning')}: 1 runs missed while stopped, skipped" in caplog.text
    assert f"job {job('noon')}: 1 runs missed while stopped, skipped" in caplog.text
    assert f"job {job('hourly')}: 3 runs missed while stopped, skipped" in caplog.text

    # A restart a minute later owes nothing; the next day runs every ritual again.
    await fault_bot.stop()
    await fault_bot.clock.advance(timedelta(minutes=1))
    await fault_bot.start(text)
    assert fault_bot.platform.posts() == []
    await walk(fault_bot, DAY_ONE + 2 * DAY + timedelta(hours=8))
    assert len(fault_bot.platform.posts()) == 7
    assert len(fault_bot.rows("SELECT * FROM run_ledger WHERE job_id LIKE 'posts:%'")) == 7 + 2 + 7
    assert fault_bot.rows("SELECT count(*) FROM outbox WHERE status != 'sent'") == [(0,)]
