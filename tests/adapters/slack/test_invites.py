"""Co-optation through slack-bolt on the fake server: a newcomer picks who brought them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.invites import Invites
from tests.adapters.slack.conftest import CONFIG, START, SlackTerreau, start_terreau
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.test_http import load
from tests.fakes import ManualClock, until

pytestmark = [pytest.mark.slack, pytest.mark.invites]

KEY = "slack:T0TERREAU"
GENERAL = "C0GENERAL"  # the invites' channel purpose, `general`
INVITES = """
[communities.invites]
enabled = true
"""


@pytest.fixture
async def terreau(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackTerreau]:
    fake_slack.add_user("U0DAVE", "Dave")
    app, adapter = await start_terreau(tmp_path, fake_slack, clock, "http", config=CONFIG + INVITES)
    try:
        yield SlackTerreau(app, adapter, fake_slack)
    finally:
        await app.stop()


def pick(user: str, picked: str, picker: dict[str, Any], ts: str) -> dict[str, Any]:
    """The `block_actions` payload Slack posts when `user` picks `picked` in the menu of an
    ephemeral message (which comes with no `message`, only its container)."""
    payload = load("block_actions_select.json")
    payload["user"] = {"id": user, "username": "dave", "name": "dave", "team_id": "T0TERREAU"}
    payload["container"] = {
        "type": "message",
        "message_ts": ts,
        "channel_id": GENERAL,
        "is_ephemeral": True,
    }
    payload["channel"] = {"id": GENERAL, "name": "general"}
    del payload["message"]
    payload["trigger_id"] = f"trigger-{picked}"
    payload["response_url"] = "RESPONSE"
    payload["actions"] = [
        {
            "type": "users_select",
            "action_id": picker["action_id"],
            "block_id": "terreau:choices",
            "selected_user": picked,
            "action_ts": ts,
        }
    ]
    return payload


async def test_a_newcomer_picks_who_brought_them_and_it_counts_as_the_command_does(
    terreau: SlackTerreau,
) -> None:
    fake = terreau.fake
    joined = load("team_join.json")
    joined["event_time"] = int(START.timestamp())  # Dave joins now
    joined["event"]["event_ts"] = f"{START.timestamp():.6f}"
    assert (await terreau.event(joined))[0] == 200
    await until(lambda: bool(fake.called("chat.postEphemeral")))
    # Shown to Dave alone in the channel: never a direct message, which needs consent.
    [question] = [c.params for c in fake.called("chat.postEphemeral")]
    assert (question["channel"], question["user"]) == (GENERAL, "U0DAVE")
    assert fake.called("conversations.open") == []
    assert terreau.said(question["text"])[0] == "invites.who_brought_you"
    [actions] = [b for b in question["blocks"] if b["type"] == "actions"]
    [picker] = actions["elements"]
    assert picker["type"] == "users_select"
    assert picker["action_id"] == "invites:from"
    ts = "1700000000.000900"

    payload = pick("U0DAVE", "U0ALICE", picker, ts)
    payload["response_url"] = f"{fake.base}/response/1"
    assert (await terreau.action(payload))[0] == 200
    await until(lambda: bool(fake.responses))
    assert terreau.said(fake.responses[0]["text"], "who") == ("invites.declared", {"who": "Alice"})
    app = terreau.app
    async with app.database.read() as uow:
        known = await uow.repository(Invites).cooptation(app.community_id(KEY), "U0DAVE")
    assert known is not None and (known.by_member_id, known.way) == ("U0ALICE", "declared")
    # Alice is offered to welcome Dave, as after `/terreau invite from @alice`: in the
    # channel, shown to her alone (she never asked Terreau for a direct message).
    await until(lambda: len(fake.called("chat.postEphemeral")) == 2)
    offer = fake.called("chat.postEphemeral")[1].params
    assert (offer["channel"], offer["user"]) == (GENERAL, "U0ALICE")
    assert terreau.said(offer["text"])[0] == "invites.offer_welcome"

    # Picking again is refused as the command would be: Terreau knows already.
    again = pick("U0DAVE", "U0GINA", picker, ts)
    again["response_url"] = f"{fake.base}/response/2"
    assert (await terreau.action(again))[0] == 200
    await until(lambda: len(fake.responses) == 2)
    assert terreau.said(fake.responses[1]["text"])[0] == "invites.refuse.already"
