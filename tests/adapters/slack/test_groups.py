"""Affinity groups through slack_sdk on the fake server: a channel when scoped, else a thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.slack.conftest import CONFIG, SlackTerreau, start_terreau
from tests.adapters.slack.fake_slack import BOT_TOKEN, MANIFEST_SCOPES, FakeSlack
from tests.adapters.slack.test_http import load
from tests.fakes import ManualClock, until, wake_sleepers

pytestmark = [pytest.mark.slack, pytest.mark.groups]

PACE = timedelta(seconds=5)
GROUPS = """
[communities.groups]
enabled = true
members_needed = 2
"""


@pytest.fixture
async def terreau(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackTerreau]:
    app, adapter = await start_terreau(tmp_path, fake_slack, clock, "http", config=CONFIG + GROUPS)
    try:
        yield SlackTerreau(app, adapter, fake_slack)
    finally:
        await app.stop()


async def propose_and_join(
    terreau: SlackTerreau, clock: ManualClock, posts: int
) -> list[dict[str, Any]]:
    """Alice proposes a group, Gina clicks Join; return the `posts` messages posted."""
    command = load("slash_command.json")
    command["text"] = "group propose Rust to read the book together"
    assert (await terreau.command(command))[0] == 200
    await until(lambda: bool(terreau.fake.called("chat.postMessage")))
    proposal = terreau.fake.called("chat.postMessage")[0]
    ts = terreau.fake.messages["C0GENERAL"][0]["ts"]
    click = load("block_actions_button.json")
    click["user"] = {"id": "U0GINA", "username": "gina", "name": "gina", "team_id": "T0TERREAU"}
    click["response_url"] = f"{terreau.fake.base}/response/1"
    click["container"]["message_ts"] = click["message"]["ts"] = ts
    click["actions"][0]["action_id"] = click["actions"][0]["value"] = "groups:1:join"
    assert "groups:1:join" in str(proposal.params["blocks"])
    assert (await terreau.action(click))[0] == 200
    # Posts in one channel are paced on the clock: move it as the sender waits.
    await wake_sleepers(
        clock, lambda: len(terreau.fake.called("chat.postMessage")) >= posts, within=PACE
    )
    return [call.params for call in terreau.fake.called("chat.postMessage")]


async def test_with_the_scopes_the_group_gets_a_private_channel(
    terreau: SlackTerreau, clock: ManualClock
) -> None:
    terreau.fake.scopes[BOT_TOKEN] = (*MANIFEST_SCOPES, "groups:write")

    posted = await propose_and_join(terreau, clock, 2)

    [channel] = terreau.fake.channels.values()
    assert (channel["name"], channel["is_private"]) == ("rust", True)
    assert sorted(channel["members"][1:]) == ["U0ALICE", "U0GINA"]
    assert posted[-1]["channel"] == channel["id"]


async def test_without_them_the_group_talks_in_a_thread_under_its_announcement(
    terreau: SlackTerreau, clock: ManualClock
) -> None:
    posted = await propose_and_join(terreau, clock, 3)

    assert not terreau.fake.channels
    announcement, greeting = posted[1], posted[2]
    assert announcement["channel"] == greeting["channel"] == "C0GENERAL"
    announced_ts = terreau.fake.messages["C0GENERAL"][1]["ts"]
    assert greeting["thread_ts"] == announced_ts
    blocks = str(greeting["blocks"])
    assert "'user_id': 'U0ALICE'" in blocks and "'user_id': 'U0GINA'" in blocks
