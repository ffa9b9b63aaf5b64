"""`/join bob via alice`: a newcomer who says who brought them, as on Slack."""

from __future__ import annotations

import io

import pytest

from bot.domain import CommandInvoked, MemberJoined
from tests.adapters.console.test_adapter import Collector, Feed, console

pytestmark = [pytest.mark.console, pytest.mark.invites]


async def test_join_via_a_member_says_who_brought_the_newcomer() -> None:
    feed = Feed()
    output = io.StringIO()
    adapter = console(feed, output=output)
    sink = Collector()
    await adapter.start(sink)
    feed.put("alice> hi", "/join bob via @alice", "/join carol via nobody")
    feed.close()
    await adapter.finished()

    joined, command = [e for e in sink.events if isinstance(e, MemberJoined | CommandInvoked)][1:]
    assert isinstance(joined, MemberJoined) and joined.member.id == "bob"
    assert isinstance(command, CommandInvoked) and command.member.id == "bob"
    assert (command.group, command.action, command.args) == ("invite", "from", ("@alice",))
    assert "nobody is not a member" in output.getvalue()
