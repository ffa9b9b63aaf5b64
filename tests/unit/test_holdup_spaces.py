"""The hold-ups' memory of the spaces gathering ideas: read once, noted, read again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import cast

import pytest

from bot.feature import FeatureContext
from bot.features.holdup._spaces import IdeaSpaces
from bot.storage.holdups import Holdup

pytestmark = pytest.mark.holdup

KEY = "console:demo"
T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def holdup(number: int, channel: str | None, thread: str | None, status: str = "ideas") -> Holdup:
    return Holdup(
        id=number,
        community_id=1,
        requester_id="alice",
        problem="a name",
        context="",
        wanted="",
        status=status,
        dots=3,
        hide_authors=True,
        anonymous=False,
        channel_id="general",
        announce_message_id="m1",
        space_channel_id=channel,
        space_thread_id=thread,
        board_id=number,
        submitted_at=T,
        decided_at=T,
        decided_by=None,
        voting_opens_at=T,
        closes_at=T,
        outcome_at=None,
        followup=None,
        followup_at=None,
    )


class FakeHoldups:
    """The stored hold-ups in their ideas phase, and how often they were read."""

    def __init__(self) -> None:
        self.gathering: list[Holdup] = []
        self.reads = 0
        self.while_reading: Callable[[], Awaitable[None]] | None = None

    async def listed(self, community_id: int, statuses: tuple[str, ...]) -> list[Holdup]:
        assert (community_id, statuses) == (1, ("ideas",))
        self.reads += 1
        found = list(self.gathering)
        if self.while_reading is not None:
            await self.while_reading()
        return found


class FakeApp:
    """What `IdeaSpaces` uses of the app: the community's id and read transactions."""

    def __init__(self) -> None:
        self.holdups = FakeHoldups()
        self.store = self

    def known_community_id(self, key: str) -> int | None:
        return 1 if key == KEY else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[FakeApp]:
        yield self

    def repository(self, kind: object) -> FakeHoldups:
        return self.holdups


def spaces_of(app: FakeApp) -> IdeaSpaces:
    return IdeaSpaces(cast(FeatureContext, app))


async def test_the_first_message_reads_the_spaces_and_later_ones_read_nothing() -> None:
    app = FakeApp()
    app.holdups.gathering = [holdup(1, "general", "t1"), holdup(2, "space2", None)]
    spaces = spaces_of(app)

    assert await spaces.may_hold(KEY, "general", "t1")
    for channel, thread in (("general", None), ("random", None), ("general", "t2")):
        assert not await spaces.may_hold(KEY, channel, thread)
    assert await spaces.may_hold(KEY, "t1", None)  # a command in a thread names it as channel
    assert await spaces.may_hold(KEY, "space2", None)
    assert not await spaces.may_hold(KEY, "space2", "t3")  # another thread in that channel
    assert app.holdups.reads == 1
    assert not await spaces.may_hold("console:other", "general", "t1")  # not stored: no read
    assert app.holdups.reads == 1


async def test_this_processs_openings_and_votes_are_noted_and_each_tick_reads_again() -> None:
    app = FakeApp()
    spaces = spaces_of(app)
    await spaces.load(KEY)
    spaces.opened(KEY, holdup(1, "space1", None))
    spaces.opened(KEY, holdup(2, "space2", None, status="voting"))  # gathers no ideas
    assert await spaces.may_hold(KEY, "space1", None)
    assert not await spaces.may_hold(KEY, "space2", None)
    spaces.closed(KEY, holdup(1, "space1", None))
    assert not await spaces.may_hold(KEY, "space1", None)

    app.holdups.gathering = [holdup(3, "space3", None)]  # opened by another process
    assert not await spaces.may_hold(KEY, "space3", None)
    await spaces.reload(KEY)
    assert await spaces.may_hold(KEY, "space3", None)
    assert app.holdups.reads == 2


async def test_what_is_noted_while_the_spaces_are_read_survives_the_read() -> None:
    app = FakeApp()
    app.holdups.gathering = [holdup(1, "space1", None)]
    spaces = spaces_of(app)

    async def meanwhile() -> None:
        # Committed after the read's snapshot: a new thread, and a vote opened.
        spaces.opened(KEY, holdup(2, "space2", None))
        spaces.closed(KEY, holdup(1, "space1", None))

    app.holdups.while_reading = meanwhile
    await spaces.reload(KEY)
    assert await spaces.may_hold(KEY, "space2", None)
    assert not await spaces.may_hold(KEY, "space1", None)

    app.holdups.while_reading = None
    app.holdups.gathering = [holdup(2, "space2", None)]
    await spaces.reload(KEY)
    assert await spaces.may_hold(KEY, "space2", None)
    assert not await spaces.may_hold(KEY, "space1", None)
