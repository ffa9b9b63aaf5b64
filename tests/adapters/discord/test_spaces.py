"""Spaces (threads for a few members) and invite links, through discord.py on the fake server."""

from __future__ import annotations

import pytest

from bot.domain import ChannelRef
from bot.ports import Forbidden, NotFound, Unsupported
from tests.adapters.discord.conftest import GENERAL, GUILD, KEY, Running
from tests.adapters.discord.fake_discord import FakeDiscord

pytestmark = pytest.mark.discord

ALICE = "1170000000000000011"
BOB = "1170000000000000022"
PARENT = ChannelRef(community=KEY, channel_id=GENERAL)


async def test_a_private_space_is_a_private_thread_with_its_members(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()

    space = await running.adapter.open_space(PARENT, "Rust", [ALICE, BOB, ALICE], private=True)

    assert space.channel_id == GENERAL and space.thread_id is not None
    thread = server.threads[space.thread_id]
    assert thread["type"] == 12 and thread["parent_id"] == GENERAL
    assert thread["thread_metadata"]["invitable"] is False
    assert server.thread_members[space.thread_id][1:] == [ALICE, BOB]


async def test_a_public_space_is_a_public_thread(running: Running, server: FakeDiscord) -> None:
    await running.start()

    space = await running.adapter.open_space(PARENT, "x" * 300, [ALICE], private=False)

    assert space.thread_id is not None
    thread = server.threads[space.thread_id]
    assert thread["type"] == 11 and len(thread["name"]) == 100


async def test_members_are_added_and_the_space_archived_and_locked(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()
    space = await running.adapter.open_space(PARENT, "Rust", [ALICE], private=True)

    await running.adapter.add_to_space(space, [BOB, ALICE])
    await running.adapter.archive_space(space)

    assert space.thread_id is not None
    assert server.thread_members[space.thread_id][1:] == [ALICE, BOB]
    metadata = server.threads[space.thread_id]["thread_metadata"]
    assert metadata["archived"] is True and metadata["locked"] is True


async def test_a_refused_thread_is_forbidden_and_a_thread_cannot_hold_one(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()
    server.thread_refusal = (403, 50013, "Missing Permissions")

    with pytest.raises(Forbidden):
        await running.adapter.open_space(PARENT, "Rust", [ALICE], private=True)
    inside = ChannelRef(community=KEY, channel_id=GENERAL, thread_id="1176000000000000001")
    with pytest.raises(Unsupported):
        await running.adapter.open_space(inside, "Rust", [ALICE], private=True)
    with pytest.raises(Unsupported):
        await running.adapter.archive_space(PARENT)
    with pytest.raises(NotFound):
        await running.adapter.open_space(
            ChannelRef(community="discord:1", channel_id=GENERAL), "Rust", [ALICE], private=True
        )


async def test_each_invite_is_a_new_permanent_link_whose_uses_are_read(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()

    first = await running.adapter.create_invite(PARENT)
    second = await running.adapter.create_invite(PARENT)
    server.invites[second.rsplit("/", 1)[1]]["uses"] = 2

    assert first != second and first.startswith("https://discord.gg/")
    body = server.requests_to("POST", "/invites")[0].body
    assert body["max_age"] == 0 and body["unique"] is True
    assert await running.adapter.invite_uses(KEY) == {first: 0, second: 2}
    assert server.requests_to("GET", f"/guilds/{GUILD}/invites")


async def test_reading_invite_uses_without_manage_server_is_forbidden(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()
    server.invite_refusal = (403, 50013, "Missing Permissions")

    with pytest.raises(Forbidden):
        await running.adapter.invite_uses(KEY)
