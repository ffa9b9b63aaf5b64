"""Virtual time for replayed scripts: moved only when the bot is idle, one due moment at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import VirtualClock
from bot.replay import Replay

pytestmark = pytest.mark.console

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


class Bot:
    """Records the instants at which the replay waited for it, and plans runs."""

    def __init__(self, clock: VirtualClock, planned: list[datetime]) -> None:
        self.clock = clock
        self.planned = sorted(planned)
        self.settled_at: list[datetime] = []

    async def settled(self) -> None:
        now = self.clock.now()
        self.planned = [moment for moment in self.planned if moment > now]
        self.settled_at.append(now)

    def next_due(self) -> datetime | None:
        return self.planned[0] if self.planned else None


async def test_sleepers_wake_in_order_when_the_clock_reaches_them() -> None:
    clock = VirtualClock(START)
    woken: list[str] = []

    async def sleeper(name: str, moment: datetime) -> None:
        await clock.sleep_until(moment)
        woken.append(name)

    tasks = [
        asyncio.create_task(sleeper("later", START + 2 * MINUTE)),
        asyncio.create_task(sleeper("sooner", START + MINUTE)),
    ]
    await asyncio.sleep(0)
    assert clock.next_wake() == START + MINUTE
    clock.move_to(START + MINUTE)
    await asyncio.sleep(0)
    assert woken == ["sooner"]
    assert clock.next_wake() == START + 2 * MINUTE
    clock.move_to(START + 5 * MINUTE)
    await asyncio.gather(*tasks)
    assert woken == ["sooner", "later"]
    assert clock.next_wake() is None
    await clock.sleep_until(START)  # the past: at once
    with pytest.raises(ValueError, match="cannot go back"):
        clock.move_to(START)


async def test_a_wait_stops_at_every_due_moment_and_settles_each_one() -> None:
    clock = VirtualClock(START)
    bot = Bot(clock, [START + 10 * MINUTE, START + 3 * MINUTE, START + 90 * MINUTE])
    replay = Replay(clock)
    replay.attach(bot)
    await replay.wait(timedelta(hours=1))
    assert bot.settled_at == [START, START + 3 * MINUTE, START + 10 * MINUTE, START + 60 * MINUTE]
    assert clock.now() == START + timedelta(hours=1)
    assert bot.next_due() == START + 90 * MINUTE


async def test_a_speed_only_paces_the_steps_in_real_time() -> None:
    clock = VirtualClock(START)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    bot = Bot(clock, [START + 10 * MINUTE])
    replay = Replay(clock, speed=60, sleep=sleep)
    replay.attach(bot)
    await replay.wait(timedelta(minutes=30))
    assert slept == [10.0, 20.0]
    assert bot.settled_at == [START, START + 10 * MINUTE, START + 30 * MINUTE]
