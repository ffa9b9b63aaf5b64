"""Co-optation through discord.py on the fake server: a link, a join through it, a DM offer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.discord.conftest import GENERAL, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = [pytest.mark.discord, pytest.mark.invites]

MO = "1170000000000000022"
INVITES = """
[communities.invites]
enabled = true
"""


def invite_link() -> dict[str, Any]:
    """The interaction Mo sends with `/terreau invite link`."""
    interaction = payload("interaction_command")
    interaction["id"] = "1189000000000000093"
    interaction["data"]["options"] = [
        {"name": "invite", "type": 2, "options": [{"name": "link", "type": 1, "options": []}]}
    ]
    return interaction


async def test_a_join_through_a_members_link_offers_them_to_welcome_the_newcomer(
    running: Running, server: FakeDiscord
) -> None:
    await running.start(extra=INVITES)

    await server.dispatch("INTERACTION_CREATE", invite_link())
    await until(lambda: bool(server.invites) and bool(server.requests_to("POST", "/interactions/")))
    [(code, invite)] = server.invites.items()
    assert invite["channel"]["id"] == GENERAL
    answer = server.requests_to("POST", "/interactions/")[0].body
    # The link Discord made is live (bare, so Discord links it and shows the invite),
    # unlike any address a member typed, which is escaped.
    content = answer["data"]["content"]
    assert f" https://discord.gg/{code}\n" in content
    assert "\\:" not in content

    invite["uses"] += 1
    await server.dispatch("GUILD_MEMBER_ADD", payload("guild_member_add"))
    await until(lambda: bool(server.dm_channels))

    [(channel_id, recipient)] = server.dm_channels.items()
    assert recipient == MO
    await until(lambda: bool(server.messages.get(channel_id)))
    [offer] = server.messages[channel_id]
    newcomer = payload("guild_member_add")["user"]["id"]
    assert f"<@{newcomer}>" in offer["content"]
