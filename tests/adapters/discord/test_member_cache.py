"""The domain members kept between events: reused while unchanged, forgotten when roles change."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import MessagePosted
from tests.adapters.discord.conftest import GUILD, MOD_ROLE, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = pytest.mark.discord

GARDENERS: dict[str, Any] = {
    "id": MOD_ROLE,
    "name": "Gardeners",
    "permissions": "0",
    "position": 1,
    "color": 0,
    "hoist": True,
    "managed": False,
    "mentionable": False,
    "icon": None,
    "unicode_emoji": None,
    "flags": 0,
}
MANAGE_GUILD = 1 << 5


def by_mo(number: int, *, nick: str = "Mo") -> dict[str, Any]:
    data = payload("message_create_thread_reply")
    member = dict(data["member"], nick=nick)
    return dict(data, id=str(1190000000000000000 + number), member=member)


async def posted_by_mo(running: Running, server: FakeDiscord) -> list[MessagePosted]:
    app = await running.start()
    seen: list[MessagePosted] = []

    async def record(event: MessagePosted) -> None:
        seen.append(event)

    app.dispatcher.subscribe(MessagePosted, record)
    return seen


async def test_a_member_is_reused_while_their_name_and_roles_stay_the_same(
    running: Running, server: FakeDiscord
) -> None:
    seen = await posted_by_mo(running, server)
    for number in range(3):
        await server.dispatch("MESSAGE_CREATE", by_mo(number))
    await server.dispatch("MESSAGE_CREATE", by_mo(3, nick="Mo the Gardener"))
    await until(lambda: len(seen) == 4)
    assert seen[0].member is seen[1].member is seen[2].member
    assert seen[3].member.display_name == "Mo the Gardener"
    assert seen[0].member.roles == frozenset({MOD_ROLE})
    assert running.adapter is not None
    members = running.adapter.client.members
    assert (members.hits, members.misses) == (2, 2)


async def test_a_role_granting_manage_server_makes_its_members_admins_at_once(
    running: Running, server: FakeDiscord
) -> None:
    seen = await posted_by_mo(running, server)
    await server.dispatch("MESSAGE_CREATE", by_mo(0))
    await until(lambda: len(seen) == 1)
    assert not seen[0].member.is_admin

    role = dict(GARDENERS, permissions=str(MANAGE_GUILD))
    await server.dispatch("GUILD_ROLE_UPDATE", {"guild_id": GUILD, "role": role})
    await server.dispatch("MESSAGE_CREATE", by_mo(1))
    await until(lambda: len(seen) == 2)
    assert seen[1].member.is_admin

    await server.dispatch("GUILD_ROLE_UPDATE", {"guild_id": GUILD, "role": GARDENERS})
    await server.dispatch("MESSAGE_CREATE", by_mo(2))
    await until(lambda: len(seen) == 3)
    assert not seen[2].member.is_admin
