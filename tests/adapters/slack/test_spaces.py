"""Spaces (a channel for a few members) through slack_sdk on the fake Slack server."""

from __future__ import annotations

import pytest

from bot.domain import ChannelRef
from bot.ports import NotFound, Unsupported
from tests.adapters.slack.conftest import SlackTerreau
from tests.adapters.slack.fake_slack import BOT_TOKEN, BOT_USER, MANIFEST_SCOPES, TEAM

pytestmark = pytest.mark.slack

KEY = f"slack:{TEAM}"
GENERAL = ChannelRef(community=KEY, channel_id="C0GENERAL")
SPACE_SCOPES = (*MANIFEST_SCOPES, "groups:write", "channels:manage")


async def test_a_space_is_a_channel_with_its_members_invited(http_terreau: SlackTerreau) -> None:
    fake = http_terreau.fake
    fake.scopes[BOT_TOKEN] = SPACE_SCOPES

    space = await http_terreau.adapter.open_space(
        GENERAL, "Rust & Wasm!", ["U0ALICE", "U0GINA", "U0ALICE"], private=True
    )

    channel = fake.channels[space.channel_id]
    assert (channel["name"], channel["is_private"]) == ("rust-wasm", True)
    assert channel["members"] == [BOT_USER, "U0ALICE", "U0GINA"]
    assert space.thread_id is None and space.community == KEY


async def test_a_taken_name_gets_a_number(http_terreau: SlackTerreau) -> None:
    http_terreau.fake.scopes[BOT_TOKEN] = SPACE_SCOPES
    adapter = http_terreau.adapter

    first = await adapter.open_space(GENERAL, "Rust", ["U0ALICE"], private=False)
    second = await adapter.open_space(GENERAL, "Rust", ["U0ALICE"], private=False)

    names = [http_terreau.fake.channels[s.channel_id]["name"] for s in (first, second)]
    assert names == ["rust", "rust-2"]


async def test_members_added_twice_and_archive_twice_are_no_error(
    http_terreau: SlackTerreau,
) -> None:
    fake = http_terreau.fake
    fake.scopes[BOT_TOKEN] = SPACE_SCOPES
    adapter = http_terreau.adapter
    space = await adapter.open_space(GENERAL, "Rust", ["U0ALICE"], private=True)

    await adapter.add_to_space(space, ["U0ALICE", "U0GINA"])
    await adapter.archive_space(space)
    await adapter.archive_space(space)

    channel = fake.channels[space.channel_id]
    assert channel["members"] == [BOT_USER, "U0ALICE", "U0GINA"] and channel["is_archived"]
    assert len(fake.called("conversations.archive")) == 2


async def test_without_the_scope_a_space_is_unsupported(http_terreau: SlackTerreau) -> None:
    with pytest.raises(Unsupported, match="groups:write"):
        await http_terreau.adapter.open_space(GENERAL, "Rust", ["U0ALICE"], private=True)
    with pytest.raises(Unsupported, match="channels:manage"):
        await http_terreau.adapter.open_space(GENERAL, "Rust", ["U0ALICE"], private=False)
    assert not http_terreau.fake.channels


async def test_an_unknown_member_and_invitations_are_refused(http_terreau: SlackTerreau) -> None:
    http_terreau.fake.scopes[BOT_TOKEN] = SPACE_SCOPES
    adapter = http_terreau.adapter
    space = await adapter.open_space(GENERAL, "Rust", [], private=True)

    with pytest.raises(NotFound):
        await adapter.add_to_space(space, ["U0NOBODY"])
    with pytest.raises(Unsupported):
        await adapter.create_invite(GENERAL)
    with pytest.raises(Unsupported):
        await adapter.invite_uses(KEY)


async def test_a_thread_is_no_space_of_its_own(http_terreau: SlackTerreau) -> None:
    thread = ChannelRef(community=KEY, channel_id="C0GENERAL", thread_id="1700000000.000100")

    with pytest.raises(Unsupported):
        await http_terreau.adapter.add_to_space(thread, ["U0ALICE"])
    with pytest.raises(Unsupported):
        await http_terreau.adapter.archive_space(thread)
    assert not http_terreau.fake.called("conversations.invite")
