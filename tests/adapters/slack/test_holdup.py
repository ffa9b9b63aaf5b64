"""Hold-ups through slack_sdk on the fake server: a thread under the announcement, ideas in it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.storage.boards import Boards
from bot.storage.holdups import Holdups
from tests.adapters.slack.conftest import CONFIG, TEAM, SlackTerreau, start_terreau
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.test_http import load
from tests.fakes import PATIENCE, ManualClock, wake_sleepers

pytestmark = [pytest.mark.slack, pytest.mark.holdup]

PACE = timedelta(seconds=5)
HOLDUP = """
[communities.holdup]
enabled = true
auto_approve = true
"""


@pytest.fixture
async def terreau(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackTerreau]:
    app, adapter = await start_terreau(tmp_path, fake_slack, clock, "http", config=CONFIG + HOLDUP)
    try:
        yield SlackTerreau(app, adapter, fake_slack)
    finally:
        await app.stop()


async def test_without_a_channel_scope_it_talks_under_its_announcement_where_messages_are_ideas(
    terreau: SlackTerreau, clock: ManualClock
) -> None:
    command = load("slash_command.json")
    command["text"] = 'holdup submit "a name for my bakery" "names" it opens in March'
    assert (await terreau.command(command))[0] == 200
    await wake_sleepers(
        clock, lambda: len(terreau.fake.called("chat.postMessage")) >= 2, within=PACE
    )

    assert not terreau.fake.channels
    announcement, greeting = [c.params for c in terreau.fake.called("chat.postMessage")][:2]
    assert announcement["channel"] == greeting["channel"] == "C0GENERAL"
    announced_ts = terreau.fake.messages["C0GENERAL"][0]["ts"]
    assert greeting["thread_ts"] == announced_ts
    assert "'user_id': 'U0ALICE'" in str(announcement["blocks"])

    reply = load("message_thread_reply.json")
    reply["event"]["thread_ts"] = announced_ts
    reply["event"]["text"] = "Le Quai du Pain"
    assert (await terreau.event(reply))[0] == 200

    community_id = terreau.app.community_id(f"slack:{TEAM}")
    async with asyncio.timeout(PATIENCE):  # the event is handled in another task
        while True:
            async with terreau.app.store.read() as uow:
                [holdup] = await uow.repository(Holdups).listed(community_id, ("ideas",))
                assert holdup.space_thread_id == announced_ts and holdup.board_id is not None
                ideas = await uow.repository(Boards).ranked(holdup.board_id)
            if ideas:
                break
            await asyncio.sleep(0.01)
    assert [(i.text, i.author_id) for i in ideas] == [("Le Quai du Pain", "U0BOB")]
