"""An offer to host through discord.py on the fake server: a DM with buttons, a click in it.

Discord sends a click in a direct message without its guild; the button the adapter
sent says which guild it belongs to, so the core answers it as any other click.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.storage.hosts import HostOffers
from tests.adapters.discord.conftest import GUILD, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = [pytest.mark.discord, pytest.mark.icebreaker]

ALICE = "1170000000000000011"
HOSTS = """
[communities.icebreaker]
enabled = true
quiet_hours = ""

[communities.icebreaker.welcome]
enabled = false
"""


def offer_to_alice() -> dict[str, Any]:
    """The interaction Mo sends: `/terreau icebreaker offer member:Alice target:question`."""
    interaction = payload("interaction_command")
    interaction["id"] = "1189000000000000094"
    author = payload("message_create")["author"]
    member = {k: v for k, v in payload("guild_member_add").items() if k not in ("user", "guild_id")}
    interaction["data"]["options"] = [
        {
            "name": "icebreaker",
            "type": 2,
            "options": [
                {
                    "name": "offer",
                    "type": 1,
                    "options": [
                        {"name": "member", "type": 6, "value": ALICE},
                        {"name": "target", "type": 3, "value": "question"},
                    ],
                }
            ],
        }
    ]
    interaction["data"]["resolved"] = {
        "users": {ALICE: author},
        "members": {ALICE: dict(member, permissions="0")},
    }
    return interaction


def click_in_dm(custom_id: str, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """Alice's click on a button of the offer, in her DM with Terreau: no guild given."""
    interaction = payload("interaction_button")
    interaction["id"] = "1189000000000000095"
    for guild_only in ("guild_id", "guild", "member"):
        interaction.pop(guild_only)
    interaction["user"] = payload("message_create")["author"]
    interaction["context"] = 1
    interaction["authorizing_integration_owners"] = {"1": ALICE}
    interaction["channel_id"] = channel_id
    interaction["channel"] = {"id": channel_id, "type": 1, "last_message_id": message["id"]}
    interaction["data"]["custom_id"] = custom_id
    shown = copy.deepcopy(message)
    shown.pop("guild_id", None)
    shown.pop("member", None)
    shown["channel_id"] = channel_id
    interaction["message"] = dict(interaction["message"], **shown)
    return interaction


async def test_an_offer_sent_by_dm_is_accepted_with_its_button(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start(extra=HOSTS)
    await server.dispatch("MESSAGE_CREATE", payload("message_create"))  # Alice, known here

    await server.dispatch("INTERACTION_CREATE", offer_to_alice())
    await until(
        lambda: bool(server.dm_channels) and bool(server.requests_to("POST", "/interactions/"))
    )
    [(channel_id, recipient)] = server.dm_channels.items()
    assert recipient == ALICE
    await until(lambda: bool(server.messages.get(channel_id)))
    [offer] = server.messages[channel_id]
    buttons = [c for row in offer["components"] for c in row["components"]]
    assert [b["custom_id"] for b in buttons] == [
        f"icebreaker:host:1:accept@{GUILD}",
        f"icebreaker:host:1:decline@{GUILD}",
    ]
    assert "question" in offer["content"]

    answered = len(server.requests_to("POST", "/interactions/"))
    await server.dispatch(
        "INTERACTION_CREATE", click_in_dm(buttons[0]["custom_id"], channel_id, offer)
    )
    await until(lambda: len(server.requests_to("POST", "/interactions/")) > answered)
    answer = server.requests_to("POST", "/interactions/")[-1].body
    assert answer["data"]["flags"] & 64  # ephemeral
    assert "question" in answer["data"]["content"]
    async with app.database.read() as uow:
        stored = await uow.repository(HostOffers).get(1, 1)
    assert stored is not None and (stored.member_id, stored.status) == (ALICE, "accepted")
