"""The console gives the member-of-the-month role: one holder set at a time, shown in the chat."""

from __future__ import annotations

import io

import pytest

from bot.domain import CommandInvoked
from bot.ports import NotFound, RoleManager
from tests.adapters.console.test_adapter import KEY, Collector, Feed, console

pytestmark = pytest.mark.console


async def test_set_role_gives_and_takes_the_role_and_events_carry_it() -> None:
    feed = Feed()
    output = io.StringIO()
    adapter = console(feed, output=output)
    assert isinstance(adapter, RoleManager)
    sink = Collector()
    await adapter.start(sink)
    feed.put("alice> hi", "bob> hi")
    await sink.wait_for(4)  # two joins, two messages

    await adapter.set_role(KEY, "member-of-the-month", ["alice"])
    await adapter.set_role(KEY, "member-of-the-month", ["bob"])
    feed.put("bob> /terreau election status", "alice> /terreau election status")
    feed.close()
    await adapter.finished()

    text = output.getvalue()
    assert "role member-of-the-month: given to alice" in text
    assert "role member-of-the-month: given to bob; taken from alice" in text
    commands = [e for e in sink.events if isinstance(e, CommandInvoked)]
    assert [sorted(c.member.roles) for c in commands] == [["member-of-the-month"], []]


async def test_set_role_refuses_unknown_members() -> None:
    adapter = console(Feed())
    with pytest.raises(NotFound, match="no member 'ghost'"):
        await adapter.set_role(KEY, "star", ["ghost"])
