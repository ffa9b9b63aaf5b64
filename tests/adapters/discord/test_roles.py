"""The winner role (the optional `RoleManager` port) against the fake Discord server."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.ports import Forbidden, NotFound, PlatformError, RoleManager, Unsupported
from tests.adapters.discord.conftest import GUILD, KEY, Running
from tests.adapters.discord.fake_discord import BOT_ID, FakeDiscord, payload

pytestmark = [pytest.mark.discord, pytest.mark.election]

WINNER = "1187654321098765800"
BOT_ROLE = "1187654321098765801"
ALICE = "1170000000000000011"
BOB = "1170000000000000022"
CAROL = "1170000000000000033"
MANAGE_ROLES = 1 << 28


def member(user_id: str, *roles: str) -> dict[str, Any]:
    data = payload("guild_member_add")
    data["user"] = dict(data["user"], id=user_id, username=f"user{user_id[-2:]}")
    data["roles"] = list(roles)
    return data


def guild(*, bot_permissions: int, bot_position: int, winner_position: int) -> dict[str, Any]:
    """The configured guild with a winner role and the bot's own role, placed as asked."""
    data = payload("guild_create")
    role = dict(data["roles"][1], hoist=False, permissions="0")
    data["roles"] += [
        dict(role, id=WINNER, name="Member of the month", position=winner_position),
        dict(role, id=BOT_ROLE, name="Terreau", position=bot_position, managed=True,
             permissions=str(bot_permissions)),
    ]  # fmt: skip
    bot = next(m for m in data["members"] if m["user"]["id"] == BOT_ID)
    bot["roles"] = [BOT_ROLE]
    return data


def holders(server: FakeDiscord) -> set[str]:
    return {m["user"]["id"] for m in server.members if WINNER in m["roles"]}


@pytest.fixture
def server_with_roles(server: FakeDiscord) -> FakeDiscord:
    server.guilds = [guild(bot_permissions=MANAGE_ROLES, bot_position=4, winner_position=3)]
    server.members = [member(ALICE), member(BOB, WINNER), member(CAROL, WINNER)]
    return server


async def test_the_role_goes_to_the_winners_and_leaves_the_others(
    running: Running, server_with_roles: FakeDiscord
) -> None:
    await running.start()
    adapter = running.adapter
    assert isinstance(adapter, RoleManager)

    await adapter.set_role(KEY, WINNER, [ALICE, CAROL])

    server = server_with_roles
    assert [r.path for r in server.requests_to("PUT", "/roles/")] == [
        f"/guilds/{GUILD}/members/{ALICE}/roles/{WINNER}"
    ]
    assert [r.path for r in server.requests_to("DELETE", "/roles/")] == [
        f"/guilds/{GUILD}/members/{BOB}/roles/{WINNER}"
    ]
    assert holders(server) == {ALICE, CAROL}


async def test_holders_are_found_past_the_first_page_of_members(
    running: Running, server_with_roles: FakeDiscord
) -> None:
    server = server_with_roles
    crowd = [member(str(1170000000000001000 + i)) for i in range(1000)]
    last = member("1170000000000009999", WINNER)
    server.members = [member(ALICE), *crowd, last]
    await running.start()
    assert running.adapter is not None

    await running.adapter.set_role(KEY, WINNER, [ALICE])

    pages = server.requests_to("GET", f"/guilds/{GUILD}/members")
    assert [page.query.get("after") for page in pages] == [None, "1170000000000001998"]
    assert holders(server) == {ALICE}


async def test_a_winner_who_left_is_skipped(
    running: Running, server_with_roles: FakeDiscord
) -> None:
    await running.start()
    assert running.adapter is not None
    gone = "1170000000000000999"

    await running.adapter.set_role(KEY, WINNER, [gone, ALICE])

    assert len(server_with_roles.requests_to("PUT", "/roles/")) == 2
    assert holders(server_with_roles) == {ALICE}


async def test_without_manage_roles_the_error_names_the_permission_and_the_role(
    running: Running, server: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    server.guilds = [guild(bot_permissions=0, bot_position=4, winner_position=3)]
    server.members = [member(ALICE), member(BOB, WINNER)]
    server.role_refusal = (403, 50013, "Missing Permissions")
    await running.start()
    assert running.adapter is not None

    with pytest.raises(Forbidden) as caught:
        await running.adapter.set_role(KEY, WINNER, [ALICE])

    message = str(caught.value)
    assert "lacks the Manage Roles permission" in message
    assert f"'Member of the month' ({WINNER})" in message and "50013" in message
    assert isinstance(caught.value, PlatformError)  # what the election catches and reports
    assert any(r.levelno == logging.ERROR and r.getMessage() == message for r in caplog.records)
    assert holders(server) == {BOB}  # nothing was taken when nothing could be given
    assert not server.requests_to("DELETE", "/roles/")


async def test_a_role_above_the_bots_own_is_refused_with_the_hierarchy_named(
    running: Running, server: FakeDiscord
) -> None:
    server.guilds = [guild(bot_permissions=MANAGE_ROLES, bot_position=3, winner_position=4)]
    server.members = [member(ALICE)]
    server.role_refusal = (403, 50013, "Missing Permissions")
    await running.start()
    assert running.adapter is not None

    with pytest.raises(Forbidden) as caught:
        await running.adapter.set_role(KEY, WINNER, [ALICE])

    message = str(caught.value)
    assert "'Member of the month' is not below the bot's highest role 'Terreau'" in message
    assert "Manage Roles" in message


async def test_an_unknown_role_is_not_found(
    running: Running, server_with_roles: FakeDiscord
) -> None:
    await running.start()
    assert running.adapter is not None

    with pytest.raises(NotFound, match="has no role 1187654321098765999"):
        await running.adapter.set_role(KEY, "1187654321098765999", [ALICE])


async def test_without_the_members_intent_holders_cannot_be_found(
    running: Running, server_with_roles: FakeDiscord
) -> None:
    await running.start(members=False)
    assert running.adapter is not None

    with pytest.raises(Unsupported, match="members_intent"):
        await running.adapter.set_role(KEY, WINNER, [ALICE])

    assert not server_with_roles.requests_to("PUT", "/roles/")
