"""Terreau's own parsers give the core the very events discord.py's parsers lead to.

Two clients see the same guilds; one parses the busiest events with Terreau's own
parsers (as `terreau run` does), the other with discord.py's, through its models
and the client's handlers. Each payload goes to both, and both must hand the core
the same domain events, in the same order, or none.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from adapters.discord._client import TerreauClient
from adapters.discord._parsers import HOT_EVENTS
from bot.commands import CommandRegistry
from bot.config import DiscordSettings
from bot.domain import Event, MessagePosted, ReactionAdded, ReactionRemoved
from bot.prompts import Prompts
from tests.adapters.discord.conftest import GENERAL, GUILD, KEY, MOD_ROLE, PROMPTS_DIR, THREAD
from tests.adapters.discord.fake_discord import payload
from tests.fakes import ManualClock

pytestmark = pytest.mark.discord

NOW = datetime(2026, 11, 23, 9, 40, tzinfo=UTC)
BOT = "1180000000000000001"
ALICE = "1170000000000000011"
ADMINS = "1187654321098765701"
OTHER_GUILD = "1187654321098799999"
MANAGE_GUILD = 1 << 5


class Fed:
    """A client that was never connected, its events collected as the core would get them."""

    def __init__(self, client: TerreauClient) -> None:
        self.client = client
        self.events: list[Event] = []

    async def feed(self, event: str, data: dict[str, Any]) -> None:
        # discord.py's parsers write into payloads; each client gets its own copy.
        self.client._connection.parsers[event](copy.deepcopy(data))
        while self.client.handling:
            await asyncio.wait(set(self.client.handling))
        for _ in range(3):
            await asyncio.sleep(0)


async def client(*, hot: bool) -> Fed:
    """Return a client that has seen the configured and an unconfigured guild, and READY."""
    terreau = TerreauClient(
        settings=DiscordSettings(),
        guilds={int(GUILD): KEY},
        commands=CommandRegistry(),
        prompts=Prompts.load(PROMPTS_DIR),
        clock=ManualClock(NOW),
    )
    if not hot:
        for event in HOT_EVENTS:
            terreau._connection.parsers[event] = terreau.hot_parsers.fallback[event]
    fed = Fed(terreau)

    async def sink(event: Event) -> None:
        fed.events.append(event)

    terreau.sink = sink
    await terreau._async_setup_hook()
    bot = payload("guild_create")["members"][0]["user"]
    terreau._connection.user = discord.ClientUser(state=terreau._connection, data=bot)
    await fed.feed("GUILD_CREATE", payload("guild_create"))
    await fed.feed("GUILD_CREATE", payload("guild_create_unconfigured"))
    fed.events.clear()
    return fed


class Both:
    """The two clients, fed the same payloads."""

    def __init__(self, hot: Fed, classic: Fed) -> None:
        self.hot = hot
        self.classic = classic

    async def feed(self, event: str, data: dict[str, Any]) -> list[Event]:
        """Feed both; return what Terreau's parsers gave the core, checked against discord.py's."""
        before = len(self.hot.events)
        await self.classic.feed(event, data)
        await self.hot.feed(event, data)
        assert self.hot.events == self.classic.events
        return self.hot.events[before:]


@pytest.fixture
async def both() -> AsyncIterator[Both]:
    hot, classic = await client(hot=True), await client(hot=False)
    assert hot.client._connection.parsers["MESSAGE_CREATE"] == hot.client.hot_parsers.message_create
    yield Both(hot, classic)
    await hot.client.close()
    await classic.client.close()


def message(number: int, **changes: Any) -> dict[str, Any]:
    return dict(payload("message_create"), id=str(1188000000000000100 + number), **changes)


def reaction(**changes: Any) -> dict[str, Any]:
    return dict(payload("message_reaction_add"), **changes)


async def test_messages_replies_and_messages_in_threads(both: Both) -> None:
    [posted] = await both.feed("MESSAGE_CREATE", payload("message_create"))
    [in_thread] = await both.feed("MESSAGE_CREATE", payload("message_create_thread_reply"))
    reference = {"message_id": "1188000000000000001", "channel_id": GENERAL, "guild_id": GUILD}
    [reply] = await both.feed("MESSAGE_CREATE", message(1, type=19, message_reference=reference))
    # A forward refers to a message too, but answers nothing.
    forward = dict(reference, type=1)
    [forwarded] = await both.feed("MESSAGE_CREATE", message(2, message_reference=forward))

    assert isinstance(posted, MessagePosted) and posted.mentions
    assert isinstance(in_thread, MessagePosted) and in_thread.thread_id == THREAD
    assert isinstance(reply, MessagePosted) and reply.reply_to == "1188000000000000001"
    assert isinstance(forwarded, MessagePosted) and forwarded.reply_to is None


async def test_authors_without_a_member_bots_webhooks_and_names(both: Both) -> None:
    data = payload("message_create")
    bot_author = dict(data["author"], id="1170000000000000033", bot=True)
    webhook = {
        "id": "1170000000000000044",
        "username": "RSS",
        "discriminator": "0000",
        "bot": True,
        "avatar": None,
    }
    unnamed = dict(data["author"], global_name=None)
    no_nick = dict(data["member"], nick=None)

    events = [
        *await both.feed("MESSAGE_CREATE", message(1, author=bot_author)),
        *await both.feed(
            "MESSAGE_CREATE",
            {
                k: v
                for k, v in message(2, author=webhook, webhook_id=webhook["id"]).items()
                if k != "member"
            },
        ),
        *await both.feed("MESSAGE_CREATE", {k: v for k, v in message(3).items() if k != "member"}),
        *await both.feed("MESSAGE_CREATE", message(4, author=unnamed, member=no_nick)),
        *await both.feed("MESSAGE_CREATE", message(5, content="", mentions=[])),
    ]

    members = [event.member for event in events if isinstance(event, MessagePosted)]
    assert [(m.display_name, m.is_bot) for m in members] == [
        ("Alice", True),
        ("RSS", True),
        ("Alice", False),
        ("alice", False),
        ("Alice", False),
    ]
    assert isinstance(events[-1], MessagePosted) and events[-1].text is None


async def test_what_is_none_of_the_cores_business_reaches_it_from_neither(both: Both) -> None:
    bot = payload("guild_create")["members"][0]["user"]
    direct = {k: v for k, v in message(1).items() if k not in ("guild_id", "member")}
    silent = [
        ("MESSAGE_CREATE", direct),
        ("MESSAGE_CREATE", message(2, guild_id=OTHER_GUILD)),
        ("MESSAGE_CREATE", message(3, guild_id=payload("guild_create_unconfigured")["id"])),
        ("MESSAGE_CREATE", message(4, author=bot)),
        ("MESSAGE_CREATE", message(5, type=7, content="")),  # a member joined: a system message
        ("MESSAGE_REACTION_ADD", reaction(user_id=BOT, member=None)),
        ("MESSAGE_REACTION_ADD", {k: v for k, v in reaction().items() if k != "guild_id"}),
        ("MESSAGE_REACTION_ADD", reaction(guild_id=OTHER_GUILD)),
    ]
    for event, data in silent:
        assert await both.feed(event, data) == [], data


async def test_messages_discord_py_keeps_state_from_and_unknown_channels(both: Both) -> None:
    thread = payload("guild_create")["threads"][0]
    poll = {
        "question": {"text": "Tea?"},
        "answers": [{"answer_id": 1, "poll_media": {"text": "Yes"}}],
        "expiry": "2026-11-24T09:00:00.000000+00:00",
        "allow_multiselect": False,
        "layout_type": 1,
    }
    posted = [
        *await both.feed("MESSAGE_CREATE", message(1, thread=thread)),
        *await both.feed("MESSAGE_CREATE", message(2, poll=poll)),
        *await both.feed("MESSAGE_CREATE", message(3, channel_id="1187654321098799000")),
        *await both.feed("MESSAGE_CREATE", message(4)),
    ]

    assert [event.channel_id for event in posted if isinstance(event, MessagePosted)] == [
        GENERAL,
        GENERAL,
        "1187654321098799000",
        GENERAL,
    ]
    for fed in (both.hot, both.classic):
        guild = fed.client.get_guild(int(GUILD))
        assert guild is not None
        channel = guild.get_channel(int(GENERAL))
        assert isinstance(channel, discord.TextChannel)
        assert channel.last_message_id == int(message(4)["id"])


async def test_reactions_with_and_without_their_member(both: Both) -> None:
    custom = {"id": "1111111111111111111", "name": "sprout", "animated": False}
    animated = {"id": "1111111111111111112", "name": "wave", "animated": True}
    member = payload("message_reaction_add")["member"]
    events = [
        *await both.feed("MESSAGE_REACTION_ADD", payload("message_reaction_add")),
        *await both.feed("MESSAGE_REACTION_ADD", reaction(emoji=custom, channel_id=THREAD)),
        *await both.feed("MESSAGE_REACTION_ADD", reaction(emoji=animated)),
        *await both.feed("MESSAGE_REACTION_ADD", reaction(emoji={"id": None, "name": None})),
        *await both.feed(
            "MESSAGE_REACTION_ADD", {k: v for k, v in reaction().items() if k != "member"}
        ),
        *await both.feed(
            "MESSAGE_REACTION_ADD", reaction(member=dict(member, nick=None, roles=[MOD_ROLE]))
        ),
        *await both.feed("MESSAGE_REACTION_REMOVE", payload("message_reaction_remove")),
    ]

    assert [type(event) for event in events] == [ReactionAdded] * 6 + [ReactionRemoved]
    emojis = [event.emoji for event in events if isinstance(event, ReactionAdded)]
    assert emojis[:4] == [
        "🌱",
        "<:sprout:1111111111111111111>",
        "<a:wave:1111111111111111112>",
        "_",
    ]
    assert isinstance(events[1], ReactionAdded) and events[1].thread_id == THREAD
    assert isinstance(events[4], ReactionAdded) and events[4].member.display_name == ALICE


async def test_a_member_changing_name_roles_and_timeout_is_read_again(both: Both) -> None:
    member = payload("message_create")["member"]
    admin = dict(member, roles=[ADMINS])
    timed_out = dict(admin, communication_disabled_until="2099-01-01T00:00:00.000000+00:00")
    role = {
        "id": MOD_ROLE,
        "name": "Gardeners",
        "permissions": str(MANAGE_GUILD),
        "position": 1,
        "color": 0,
        "hoist": True,
        "managed": False,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    gardener = dict(member, roles=[MOD_ROLE])
    steps: list[tuple[str, dict[str, Any]]] = [
        ("MESSAGE_CREATE", message(1)),
        ("MESSAGE_CREATE", message(2, member=dict(member, nick="Alice G."))),
        ("MESSAGE_CREATE", message(3, member=admin)),
        ("MESSAGE_CREATE", message(4, member=timed_out)),
        ("MESSAGE_CREATE", message(5, member=timed_out)),
        ("MESSAGE_CREATE", message(6, member=gardener)),
        ("GUILD_ROLE_UPDATE", {"guild_id": GUILD, "role": role}),
        ("MESSAGE_CREATE", message(7, member=gardener)),
        ("MESSAGE_CREATE", message(8, member=dict(gardener, roles=[MOD_ROLE, "404"]))),
    ]
    posted: list[Event] = []
    for event, data in steps:
        posted += await both.feed(event, data)

    members = [event.member for event in posted if isinstance(event, MessagePosted)]
    assert [(m.display_name, m.is_admin) for m in members] == [
        ("Alice", False),
        ("Alice G.", False),
        ("Alice", True),
        ("Alice", False),  # timed out: Manage Server is taken away meanwhile
        ("Alice", False),
        ("Alice", False),
        ("Alice", True),  # the role now grants Manage Server
        ("Alice", True),
    ]
    assert members[-1].roles == frozenset({MOD_ROLE})  # a role the guild does not have is left out
