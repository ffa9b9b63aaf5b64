"""The console shows a post's emphasis in bold on a terminal, and as plain words when piped."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.console import ConsoleAdapter
from bot.domain import ChannelRef, Community, Post, literal
from tests.fakes import ManualClock

pytestmark = pytest.mark.console

COMMUNITY = Community(platform="console", id="local", name="Demo", timezone="Europe/Paris")
GENERAL = ChannelRef(community=COMMUNITY.key, channel_id="general")
POST = Post(text=f"**Leaderboard** for {literal('**Al** _x_')}")


class Terminal(io.StringIO):
    """An output that says it is a terminal, like `sys.stdout` in an interactive shell."""

    def isatty(self) -> bool:
        return True


async def nothing() -> AsyncIterator[str]:
    return
    yield


def console(output: io.StringIO) -> ConsoleAdapter:
    return ConsoleAdapter(
        community=COMMUNITY,
        channels={"general": "general"},
        clock=ManualClock(datetime(2025, 3, 3, 8, 0, tzinfo=UTC)),
        input=nothing(),
        output=output,
        echo_input=True,
    )


async def test_a_terminal_shows_bold_and_member_text_as_typed() -> None:
    output = Terminal()

    await console(output).send(GENERAL, POST, nonce="n1")

    assert output.getvalue().endswith("Terreau: \x1b[1mLeaderboard\x1b[22m for **Al** _x_\n")


async def test_piped_output_shows_plain_words() -> None:
    output = io.StringIO()

    await console(output).send(GENERAL, POST, nonce="n1")

    assert output.getvalue().endswith("Terreau: Leaderboard for **Al** _x_\n")
