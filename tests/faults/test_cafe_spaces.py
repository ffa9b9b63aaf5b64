"""Two Terreau processes on one database open each café group's space once.

Each `Terreau` here is a whole app (its own scheduler, outbox lease owner and
platform connection) on the same SQLite file and clock, as two processes behind
one database would be. The platform holds `open_space` calls until the test lets
them answer, so the second process looks while the first one's call is in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain import ChannelRef
from bot.features.cafe import Rounds
from bot.features.cafe._rounds import SPACE_LEASE
from bot.storage.cafe import Cafes
from bot.storage.migrate import upgrade
from tests.e2e.conftest import KEY, Terreau
from tests.e2e.test_cafe import ANN, BEN, CAT, DAN, ROUND, joined, rounds, sent, spaces_opened
from tests.fakes import FakePlatform, until

pytestmark = [pytest.mark.cafe]


class _Died(BaseException):
    """The process died right after the platform's answer, before recording it."""


@dataclass
class HeldSpaces(FakePlatform):
    """A platform whose `open_space` waits for `gate` (when set), or dies after answering."""

    gate: asyncio.Event | None = None
    waiting: int = 0
    die_after_opening: bool = False

    async def open_space(
        self, parent: ChannelRef, title: str, member_ids: Sequence[str], *, private: bool
    ) -> ChannelRef:
        if self.gate is not None:
            self.waiting += 1
            try:
                await self.gate.wait()
            finally:
                self.waiting -= 1
        space = await super().open_space(parent, title, member_ids, private=private)
        if self.die_after_opening:
            raise _Died
        return space


@dataclass
class Two:
    """Two processes on one database."""

    a: Terreau
    b: Terreau

    def platforms(self) -> list[HeldSpaces]:
        return [self._held(self.a), self._held(self.b)]

    @staticmethod
    def _held(terreau: Terreau) -> HeldSpaces:
        assert isinstance(terreau.platform, HeldSpaces)
        return terreau.platform

    def spaces(self) -> int:
        return sum(len(spaces_opened(terreau)) for terreau in (self.a, self.b))

    def intros(self) -> list[Any]:
        return sent(self.a, "cafe.intro") + sent(self.b, "cafe.intro")


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[Two]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    (tmp_path / "b").mkdir()
    a, b = Terreau(url, tmp_path), Terreau(url, tmp_path / "b")
    b.clock = a.clock
    a.platform_type = b.platform_type = HeldSpaces
    try:
        yield Two(a, b)
    finally:
        await b.stop()
        await a.stop()


def cafe(terreau: Terreau) -> Rounds:
    assert terreau.app is not None
    return rounds(terreau.app)


async def test_while_one_process_opens_a_space_the_other_leaves_that_group_alone(
    two: Two,
) -> None:
    app_a = await two.a.start()
    app_b = await two.b.start()
    await joined(two.a, ANN, BEN, CAT, DAN)
    await two.a.clock.set(ROUND)
    first, second = two.platforms()
    first.gate = asyncio.Event()

    # A plans the round and starts opening group 1's space; the call hangs.
    running = asyncio.create_task(cafe(two.a).run_scheduled(KEY, ROUND))
    await until(lambda: first.waiting == 1)
    # B's tick comes meanwhile: group 1 is A's; B opens group 2's space.
    await cafe(two.b).send_checkins(KEY, ROUND)
    assert (len(first.spaces), len(second.spaces)) == (0, 1)

    first.gate.set()
    await running
    # A opened group 1's, and left group 2 (introduced by B) alone: one space each.
    assert (len(first.spaces), len(second.spaces)) == (1, 1)
    intros = two.intros()
    assert len(intros) == 2
    assert sorted(m.member_id for post in intros for m in post.mentions) == [
        "ann",
        "ben",
        "cat",
        "dan",
    ]
    async with app_b.database.read() as uow:
        groups = await uow.repository(Cafes).groups(app_a.community_id(KEY))
    assert all(group.space_channel_id is not None for group in groups)


async def test_an_opener_that_died_after_the_platform_answered_is_taken_over_after_its_lease(
    two: Two, caplog: pytest.LogCaptureFixture
) -> None:
    await two.a.start()
    await two.b.start()
    await joined(two.a, ANN, BEN)
    await two.a.clock.set(ROUND)
    first, second = two.platforms()
    first.die_after_opening = True

    with pytest.raises(_Died):
        await cafe(two.a).run_scheduled(KEY, ROUND)
    await two.a.stop()  # the process is gone; its claim stays until its lease lapses
    assert len(first.spaces) == 1 and two.intros() == []

    # B's tick within the lease: the group is still claimed; nothing opens twice.
    await cafe(two.b).send_checkins(KEY, ROUND + SPACE_LEASE - timedelta(seconds=1))
    assert second.spaces == {} and two.intros() == []

    # The next tick after the lease: B opens it, introduces the group once, and says
    # that the dead process's space may be left unused.
    await two.b.clock.set(ROUND + timedelta(hours=1))
    with caplog.at_level(logging.WARNING, logger="bot.features.cafe._rounds"):
        await cafe(two.b).send_checkins(KEY, ROUND + timedelta(hours=1))
        await cafe(two.b).send_checkins(KEY, ROUND + timedelta(hours=2))
    assert len(second.spaces) == 1
    [intro] = two.intros()
    assert sorted(m.member_id for m in intro.mentions) == ["ann", "ben"]
    [warning] = [r for r in caplog.records if "may have been left unused" in r.getMessage()]
    [orphan] = spaces_opened(two.a)
    assert orphan.post.text in warning.getMessage()
