"""Messages and hold-up threads: only a message in a thread gathering ideas asks the database.

Which spaces gather ideas is kept in memory (`bot.features.holdup._spaces`); these
tests count the statements that touch the hold-ups table, and check that the memory
follows the database across a restart and from a second process on the same one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.e2e.conftest import BEFORE, Terreau
from tests.e2e.test_holdup import ALICE, BOB, CAROL, DAN, IDEAS_END, said, start, started

pytestmark = pytest.mark.holdup


@contextmanager
def holdup_queries(terreau: Terreau) -> Iterator[list[str]]:
    """Collect the SQL statements of `terreau`'s app that touch the hold-ups table."""
    assert terreau.app is not None
    engine = terreau.app.database.engine.sync_engine
    seen: list[str] = []

    def note(*args: Any) -> None:
        statement = args[2]
        if "holdups" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def ideas_so_far(terreau: Terreau) -> int:
    """Add an idea with the command; return how many the hold-up held before it."""
    await terreau.command(DAN, "holdup", "idea", f"idea at {terreau.clock.now():%H%M%S}")
    key, variables = said(terreau, DAN)
    assert key == "holdup.idea_added"
    return int(str(variables["number"])) - 1


async def test_messages_outside_hold_up_threads_make_no_query(terreau: Terreau) -> None:
    await start(terreau)
    _, space = await started(terreau)

    with holdup_queries(terreau) as queries:
        for channel_id, thread_id in (
            ("general", None),
            ("random", None),
            ("general", "t-elsewhere"),
            (space, "t-in-another-thread"),
        ):
            for member in (ALICE, BOB, CAROL):
                await terreau.say(
                    member, text="hello there", channel_id=channel_id, thread_id=thread_id
                )
        await terreau.say(BOB, text="a question?", channel_id=space, reply_to="u1")  # a reply
        assert queries == []

        await terreau.say(BOB, text="Le Fournil", channel_id=space)
        assert queries  # the database decides, in the thread
    assert await ideas_so_far(terreau) == 1


async def test_a_restarted_app_takes_the_ideas_written_in_the_thread(terreau: Terreau) -> None:
    await start(terreau)
    _, space = await started(terreau)
    await terreau.say(BOB, text="Le Fournil", channel_id=space)
    await terreau.stop()

    await terreau.clock.set(BEFORE + timedelta(hours=2))
    await start(terreau)
    await terreau.say(CAROL, text="Pain Perdu", channel_id=space)
    assert await ideas_so_far(terreau) == 2

    await terreau.at(IDEAS_END + timedelta(minutes=5))  # the vote opens: no more ideas
    with holdup_queries(terreau) as queries:
        await terreau.say(BOB, text="one more", channel_id=space)
        assert queries == []


@pytest.fixture
async def other(terreau: Terreau, tmp_path: Path) -> AsyncIterator[Terreau]:
    """A second process on the first one's database and clock."""
    (tmp_path / "b").mkdir()
    second = Terreau(terreau.url, tmp_path / "b")
    second.clock = terreau.clock
    try:
        yield second
    finally:
        await second.stop()


async def test_a_thread_opened_by_another_process_gathers_ideas_here_within_one_tick(
    terreau: Terreau, other: Terreau
) -> None:
    await start(terreau)
    await start(other)
    _, space = await started(terreau)  # the first process opens the thread

    await other.say(BOB, text="Le Fournil", channel_id=space)  # before the second one's tick
    assert await ideas_so_far(terreau) == 0

    await terreau.at(BEFORE + timedelta(minutes=5))
    assert other.app is not None
    await other.app.scheduler.idle()
    await other.say(CAROL, text="Pain Perdu", channel_id=space)
    assert await ideas_so_far(terreau) == 2  # Carol's and the command's
