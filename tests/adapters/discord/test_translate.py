"""Recorded gateway payloads, parsed by discord.py's own state, through `translate`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from adapters.discord._client import TerreauClient
from adapters.discord.translate import direct_choice, direct_click
from bot.commands import CommandRegistry, is_moderator
from bot.config import DiscordSettings
from bot.domain import (
    BotAdded,
    BotRemoved,
    Choice,
    Event,
    MemberJoined,
    MemberLeft,
    MemberVerified,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    ThreadCreated,
)
from bot.prompts import Prompts
from tests.adapters.discord.conftest import GENERAL, GUILD, KEY, MOD_ROLE, PROMPTS_DIR, THREAD
from tests.adapters.discord.fake_discord import payload
from tests.fakes import ManualClock, until

pytestmark = pytest.mark.discord

NOW = datetime(2026, 11, 23, 9, 40, tzinfo=UTC)
ALICE = "1170000000000000011"
MOD = "1170000000000000022"


class Gateway:
    """A client that was never connected, fed payloads straight into its parsers."""

    def __init__(self, client: TerreauClient) -> None:
        self.client = client
        self.events: list[Event] = []

    async def feed(self, event: str, data: dict[str, Any], *, expect: int = 1) -> list[Event]:
        before = len(self.events)
        self.client._connection.parsers[event](data)
        await until(lambda: len(self.events) >= before + expect)
        return self.events[before:]


async def connected() -> Gateway:
    """Return a client that has seen the configured guild's GUILD_CREATE (and its BotAdded)."""
    client = TerreauClient(
        settings=DiscordSettings(),
        guilds={int(GUILD): KEY},
        commands=CommandRegistry(),
        prompts=Prompts.load(PROMPTS_DIR),
        clock=ManualClock(NOW),
    )
    fed = Gateway(client)

    async def sink(event: Event) -> None:
        fed.events.append(event)

    client.sink = sink
    await client._async_setup_hook()  # what login() does first: bind the running loop
    [added] = await fed.feed("GUILD_CREATE", payload("guild_create"))
    assert isinstance(added, BotAdded) and added.community == KEY
    fed.events.clear()
    return fed


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    fed = await connected()
    yield fed
    await fed.client.close()


async def test_a_guild_message_names_its_author_channel_and_mentions(gateway: Gateway) -> None:
    [event] = await gateway.feed("MESSAGE_CREATE", payload("message_create"))

    assert isinstance(event, MessagePosted)
    assert event.event_id == "message:1188000000000000001"
    assert event.community == KEY and event.channel_id == GENERAL and event.thread_id is None
    assert event.member.id == ALICE and event.member.display_name == "Alice"
    assert not event.member.is_admin and event.member.roles == frozenset()
    assert event.mentions == (MOD,)
    assert event.text is not None and event.text.startswith("Bonjour")
    # A message's instant is the one its snowflake id encodes.
    assert event.occurred_at == discord.utils.snowflake_time(1188000000000000001)


async def test_a_reply_in_a_thread_posts_in_the_parent_channel(gateway: Gateway) -> None:
    [event] = await gateway.feed("MESSAGE_CREATE", payload("message_create_thread_reply"))

    assert isinstance(event, MessagePosted)
    assert event.channel_id == GENERAL and event.thread_id == THREAD
    assert event.reply_to == "1188000000000000009"
    assert event.member.roles == frozenset({MOD_ROLE})
    assert is_moderator(event.member, (MOD_ROLE,)) and not is_moderator(event.member, ())


async def test_manage_server_makes_a_member_an_admin(gateway: Gateway) -> None:
    data = payload("message_create")
    data["member"]["roles"] = ["1187654321098765701"]  # "Admins": Manage Server

    [event] = await gateway.feed("MESSAGE_CREATE", data)

    assert isinstance(event, MessagePosted) and event.member.is_admin


async def test_a_message_sent_without_its_text_still_names_its_mentions(
    gateway: Gateway,
) -> None:
    # Without the Message Content intent, Discord blanks the content but keeps mentions.
    data = dict(payload("message_create"), content="")

    [event] = await gateway.feed("MESSAGE_CREATE", data)

    assert isinstance(event, MessagePosted) and event.text is None
    assert event.mentions == (MOD,)


async def test_an_edit_and_a_delete(gateway: Gateway) -> None:
    [edited] = await gateway.feed("MESSAGE_UPDATE", payload("message_update"))
    [deleted] = await gateway.feed("MESSAGE_DELETE", payload("message_delete"))

    assert isinstance(edited, MessageEdited)
    assert edited.message_id == "1188000000000000001" and edited.member.id == ALICE
    assert edited.occurred_at == datetime(2026, 11, 23, 9, 14, 2, 500000, tzinfo=UTC)
    assert isinstance(deleted, MessageDeleted)
    assert deleted.channel_id == GENERAL and deleted.thread_id == THREAD
    assert deleted.member_id is None and deleted.occurred_at == NOW


async def test_reactions_added_and_removed(gateway: Gateway) -> None:
    [added] = await gateway.feed("MESSAGE_REACTION_ADD", payload("message_reaction_add"))
    [removed] = await gateway.feed("MESSAGE_REACTION_REMOVE", payload("message_reaction_remove"))

    assert isinstance(added, ReactionAdded)
    assert added.emoji == "🌱" and added.member.display_name == "Alice"
    assert added.channel_id == GENERAL and added.thread_id is None
    assert isinstance(removed, ReactionRemoved)
    assert removed.emoji == "<:sprout:1111111111111111111>" and removed.member.id == ALICE
    assert removed.channel_id == GENERAL and removed.thread_id == THREAD
    assert added.event_id != removed.event_id


async def test_members_join_and_leave(gateway: Gateway) -> None:
    [joined] = await gateway.feed("GUILD_MEMBER_ADD", payload("guild_member_add"))
    [left] = await gateway.feed("GUILD_MEMBER_REMOVE", payload("guild_member_remove"))

    assert isinstance(joined, MemberJoined)
    assert joined.member.id == "1170000000000000033" and joined.member.display_name == "Newbie"
    assert joined.occurred_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert isinstance(left, MemberLeft) and left.member_id == "1170000000000000033"
    assert not joined.screening


async def test_a_member_held_at_screening_is_verified_when_pending_ends(
    gateway: Gateway,
) -> None:
    [joined] = await gateway.feed("GUILD_MEMBER_ADD", payload("guild_member_add_pending"))
    assert isinstance(joined, MemberJoined) and joined.screening
    # An update while still held (a role, say) is not a pass.
    still = payload("guild_member_update_screening_passed")
    still.update(pending=True, roles=[MOD_ROLE])
    gateway.client._connection.parsers["GUILD_MEMBER_UPDATE"](still)

    [verified] = await gateway.feed(
        "GUILD_MEMBER_UPDATE", payload("guild_member_update_screening_passed")
    )

    assert isinstance(verified, MemberVerified) and verified.community == KEY
    assert verified.member.id == "1170000000000000033"
    assert verified.member.display_name == "Newbie"
    assert verified.member.joined_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert verified.occurred_at == NOW
    assert (
        verified.event_id == f"verified:1170000000000000033:{int(joined.occurred_at.timestamp())}"
    )
    assert gateway.client.screening.held == {}


async def test_other_member_updates_are_not_a_pass(gateway: Gateway) -> None:
    parsers = gateway.client._connection.parsers
    # Never held: a nickname change of a member who joined without screening.
    await gateway.feed("GUILD_MEMBER_ADD", payload("guild_member_add"))
    renamed = payload("guild_member_update_screening_passed")
    renamed["nick"] = "Newt"
    parsers["GUILD_MEMBER_UPDATE"](renamed)
    # Held, then gone before passing: a later update (if any) is not a pass either.
    held = payload("guild_member_add_pending")
    held["user"] = dict(held["user"], id="1170000000000000044")
    await gateway.feed("GUILD_MEMBER_ADD", held)
    await gateway.feed("GUILD_MEMBER_REMOVE", {"guild_id": GUILD, "user": held["user"]})
    parsers["GUILD_MEMBER_UPDATE"](dict(renamed, user=held["user"]))

    [message] = await gateway.feed("MESSAGE_CREATE", payload("message_create"))

    assert isinstance(message, MessagePosted)
    assert [type(e) for e in gateway.events] == [
        MemberJoined,
        MemberJoined,
        MemberLeft,
        MessagePosted,
    ]
    assert gateway.client.screening.held == {}


async def test_a_new_thread(gateway: Gateway) -> None:
    [event] = await gateway.feed("THREAD_CREATE", payload("thread_create"))

    assert isinstance(event, ThreadCreated)
    assert event.channel_id == GENERAL and event.thread_id == "1188000000000000005"
    assert event.member.id == ALICE


async def test_events_of_unconfigured_guilds_are_dropped(gateway: Gateway) -> None:
    gateway.client._connection.parsers["GUILD_CREATE"](payload("guild_create_unconfigured"))
    elsewhere = payload("message_create")
    elsewhere.update(guild_id="1199999999999999999", channel_id="1199999999999999500")

    gateway.client._connection.parsers["MESSAGE_CREATE"](elsewhere)
    [event] = await gateway.feed("MESSAGE_CREATE", payload("message_create"))

    assert event.community == KEY and len(gateway.events) == 1


async def test_removal_from_the_guild_is_bot_removed_and_an_outage_is_not(
    gateway: Gateway,
) -> None:
    gateway.client._connection.parsers["GUILD_DELETE"](payload("guild_delete_outage"))
    # Handlers run in the order events arrive: had the outage said anything, it would
    # be here before the message.
    [message] = await gateway.feed("MESSAGE_CREATE", payload("message_create"))
    assert isinstance(message, MessagePosted)
    guild = gateway.client.get_guild(int(GUILD))
    assert guild is not None and guild.unavailable  # still the bot's guild, in an outage

    [removed] = await gateway.feed("GUILD_DELETE", payload("guild_delete"))

    assert removed == BotRemoved(
        event_id=f"removed:{GUILD}:{int(NOW.timestamp() * 1000)}", community=KEY, occurred_at=NOW
    )
    assert gateway.client.departed == {int(GUILD)}


async def test_an_invitation_back_is_bot_added(gateway: Gateway) -> None:
    await gateway.feed("GUILD_DELETE", payload("guild_delete"))
    # Discord sends the guild of a new invitation as GUILD_CREATE, with or without
    # `unavailable: false` (discord.py calls the first "available", the second "join").
    [back] = await gateway.feed("GUILD_CREATE", payload("guild_create"))
    assert isinstance(back, BotAdded) and back.community == KEY and back.occurred_at == NOW
    assert gateway.client.departed == set()

    await gateway.feed("GUILD_DELETE", payload("guild_delete"))
    joined = payload("guild_create")
    del joined["unavailable"]
    [again] = await gateway.feed("GUILD_CREATE", joined)
    assert isinstance(again, BotAdded) and again.community == KEY


async def test_an_unconfigured_guild_coming_or_going_is_not_reported(gateway: Gateway) -> None:
    parsers = gateway.client._connection.parsers
    parsers["GUILD_CREATE"](payload("guild_create_unconfigured"))
    parsers["GUILD_DELETE"]({"id": "1199999999999999999"})

    [removed] = await gateway.feed("GUILD_DELETE", payload("guild_delete"))

    assert isinstance(removed, BotRemoved) and removed.community == KEY
    assert len(gateway.events) == 1


def test_a_button_in_a_direct_message_carries_its_guild_and_gives_it_back() -> None:
    sent = direct_choice(Choice(id="icebreaker:host:7:accept", label="Yes"), int(GUILD))
    assert sent == Choice(id=f"icebreaker:host:7:accept@{GUILD}", label="Yes")
    assert direct_click(sent.id) == (int(GUILD), "icebreaker:host:7:accept")
    # A click on a button sent without a guild (never by Terreau in a DM) is not routed.
    assert direct_click("poll:42:yes") == (None, "poll:42:yes")
