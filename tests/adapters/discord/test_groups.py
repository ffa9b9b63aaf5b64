"""Affinity groups through discord.py on the fake server: a proposal, a click, a private thread."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.discord.conftest import GENERAL, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = [pytest.mark.discord, pytest.mark.groups]

MO = "1170000000000000022"
ALICE = "1170000000000000011"
GROUPS = """
[communities.groups]
enabled = true
members_needed = 2
"""


def propose(topic: str, why: str) -> dict[str, Any]:
    """The interaction Mo sends with `/terreau group propose topic:... why:...`."""
    interaction = payload("interaction_command")
    interaction["id"] = "1189000000000000091"
    interaction["data"]["options"] = [
        {
            "name": "group",
            "type": 2,
            "options": [
                {
                    "name": "propose",
                    "type": 1,
                    "options": [
                        {"name": "topic", "type": 3, "value": topic},
                        {"name": "why", "type": 3, "value": why},
                    ],
                }
            ],
        }
    ]
    return interaction


def click(custom_id: str, message_id: str) -> dict[str, Any]:
    """Alice's click on a button of a bot message."""
    interaction = payload("interaction_button")
    interaction["id"] = "1189000000000000092"
    interaction["data"]["custom_id"] = custom_id
    interaction["message"]["id"] = message_id
    interaction["message"]["components"] = [
        {
            "type": 1,
            "components": [{"type": 2, "style": 1, "label": "Rejoindre", "custom_id": custom_id}],
        }
    ]
    return interaction


async def test_a_proposal_joined_by_a_click_opens_a_private_thread_with_both(
    running: Running, server: FakeDiscord
) -> None:
    await running.start(extra=GROUPS)

    await server.dispatch("INTERACTION_CREATE", propose("Rust", "lire le livre ensemble"))
    await until(lambda: bool(server.requests_to("POST", f"/channels/{GENERAL}/messages")))
    [proposal] = server.messages[GENERAL]
    [button] = [c for row in proposal["components"] for c in row["components"]]
    assert button["custom_id"] == "groups:1:join"

    await server.dispatch("INTERACTION_CREATE", click(button["custom_id"], proposal["id"]))
    await until(lambda: len(server.threads) == 1 and len(server.messages) == 2)

    [(thread_id, thread)] = server.threads.items()
    assert (thread["type"], thread["parent_id"], thread["name"]) == (12, GENERAL, "Rust")
    assert sorted(server.thread_members[thread_id][1:]) == sorted([MO, ALICE])
    [greeting] = server.messages[thread_id]
    assert f"<@{MO}>" in greeting["content"] and f"<@{ALICE}>" in greeting["content"]
