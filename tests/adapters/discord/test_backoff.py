"""The waits between gateway connection attempts: doubling, capped, jittered, on the clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.discord._gateway import Backoff
from tests.adapters.discord.conftest import START
from tests.fakes import PATIENCE, ManualClock, until

pytestmark = pytest.mark.discord


def test_waits_double_up_to_the_cap_each_between_half_and_all_of_it() -> None:
    backoff = Backoff(ManualClock(START), base=1.0, cap=30.0)
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30]
    for ceiling in ceilings:
        backoff.failures += 1
        for _ in range(50):
            assert ceiling / 2 <= backoff.delay() <= ceiling

    backoff.reset()
    backoff.failures += 1
    assert backoff.delay() <= 1


async def test_a_wait_passes_on_the_clock() -> None:
    clock = ManualClock(START)
    backoff = Backoff(clock)
    backoff.failures = 3  # a wait of 2 to 4 s
    waiting = asyncio.create_task(backoff.wait())
    await until(lambda: clock.sleeping == 1)
    await clock.advance(timedelta(seconds=1.9))
    assert not waiting.done()

    await clock.advance(timedelta(seconds=2.1))
    async with asyncio.timeout(PATIENCE):
        await waiting


def test_a_backoff_needs_a_positive_base_below_its_cap() -> None:
    with pytest.raises(ValueError, match="base"):
        Backoff(ManualClock(START), base=10, cap=5)
