"""Behaviour tests: the real command tree and buttons, driven by simcord's offline Discord.

simcord runs discord.py unmodified against a simulated Discord (guilds, roles,
members, slash commands, clicks, restarts). Behind the adapter runs a whole
Terreau on SQLite, so each test goes from a member's action to what they see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from adapters.discord import DiscordAdapter
from adapters.discord.render import render
from bot.app import App, create_app
from bot.commands import CommandRegistry
from bot.config import Settings, parse_settings
from bot.domain import ChannelRef, Choice, ChoiceMade, Post
from bot.prompts import Prompts
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.discord.conftest import GUILD, KEY, PROMPTS_DIR, START
from tests.fakes import ManualClock, PromptLog

pytestmark = pytest.mark.discord

PROMPTS = Prompts.load(PROMPTS_DIR)
MOD_ROLE = "1187654321098765700"

CONFIG = """
[[communities]]
platform = "discord"
id = "{guild}"
name = "Les Jardiniers"
timezone = "Europe/Paris"
moderator_roles = ["{role}"]
channels = {{ general = "{general}" }}

[[communities.posts.schedules]]
name = "question"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
"""


class World:
    """A simulated guild with a moderator role, and the Terreau serving it."""

    def __init__(self, env: simcord.Env, adapter: DiscordAdapter, path: Path) -> None:
        self.env = env
        self.adapter = adapter
        self.path = path
        self.guild = env.create_guild("Les Jardiniers", id=int(GUILD))
        self.general = self.guild.create_text_channel("general")
        gardeners = self.guild.create_role("Gardeners")
        managers = self.guild.create_role(
            "Managers", permissions=discord.Permissions(manage_guild=True)
        )
        self.gardeners_id = str(gardeners.id)
        self.alice = self.guild.add_member(env.create_user("alice"))
        self.mo = self.guild.add_member(env.create_user("mo"), roles=[gardeners])
        self.owner = self.guild.add_member(env.create_user("olga"), roles=[managers])
        self.app: App | None = None
        self.prompts = PromptLog(PROMPTS)

    def settings(self) -> Settings:
        text = CONFIG.format(guild=GUILD, role=self.gardeners_id, general=self.general.id)
        return parse_settings(text, self.path / "terreau.toml")

    async def start_terreau(self) -> App:
        """Wire a Terreau to the adapter, then restart the bot so it syncs its tree."""
        url = f"sqlite+aiosqlite:///{self.path / 'terreau.db'}"
        await upgrade(url)
        database = await Database.connect(url, clock=self.adapter.client.clock)
        self.app = await create_app(
            self.settings(),
            database=database,
            prompts=self.prompts,  # type: ignore[arg-type]
            platforms={"discord": self.adapter},
            clock=self.adapter.client.clock,
            commands=self.adapter.client.registry,
        )
        await self.app.writer.start()
        self.adapter.client.sink = self.app.dispatcher.dispatch
        await self.env.restart_bot()
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.scheduler.stop()
            await self.app.writer.stop()
            await self.app.database.close()


def adapter_for(settings: Settings, registry: CommandRegistry) -> DiscordAdapter:
    return DiscordAdapter(
        token="unused",
        settings=settings.discord,
        communities=settings.communities,
        commands=registry,
        prompts=PROMPTS,
        clock=ManualClock(START),
    )


@pytest.fixture
def adapter(tmp_path: Path) -> DiscordAdapter:
    # The channel ids exist only once simcord created them, so the adapter starts
    # with a provisional config and Terreau is wired on the first restart.
    provisional = parse_settings(
        CONFIG.format(guild=GUILD, role=MOD_ROLE, general="1"), tmp_path / "terreau.toml"
    )
    return adapter_for(provisional, CommandRegistry())


@pytest.fixture
def simcord_bot(adapter: DiscordAdapter) -> discord.Client:
    return adapter.client


@pytest.fixture
async def world(
    simcord_env: simcord.Env, adapter: DiscordAdapter, tmp_path: Path
) -> AsyncIterator[World]:
    built = World(simcord_env, adapter, tmp_path)
    await built.start_terreau()
    yield built
    await built.stop()


def content(result: Any) -> str:
    return str(result.response.content)


def said(world: World, result: Any, *names: str) -> tuple[str, dict[str, object]]:
    """The prompt a member was shown as `result`, and the variables `names` it was given."""
    shown = content(result)
    return world.prompts.shown_as(lambda post: render(post)[0].content == shown, *names)


async def test_help_lists_the_groups_privately(world: World) -> None:
    result = await world.alice.slash(world.general, "terreau help")

    assert result.ephemeral
    key, shown = said(world, result, "groups")
    assert key == "messages.help.body"
    assert "posts" in [group["name"] for group in shown["groups"]]  # type: ignore[attr-defined]


async def test_help_on_a_topic_lists_its_commands(world: World) -> None:
    result = await world.alice.slash(world.general, "terreau help", topic="posts")

    assert result.ephemeral
    key, shown = said(world, result, "commands")
    assert key == "messages.help.body"
    assert "/terreau posts now <ritual>" in [c["usage"] for c in shown["commands"]]  # type: ignore[attr-defined]


async def test_a_moderator_role_lists_the_rituals(world: World) -> None:
    result = await world.mo.slash(world.general, "terreau posts list")

    assert result.ephemeral
    key, shown = said(world, result, "rituals")
    assert key == "messages.posts.list.body"
    assert [ritual["name"] for ritual in shown["rituals"]] == ["question"]  # type: ignore[attr-defined]


async def test_posting_now_puts_the_ritual_in_the_channel(world: World) -> None:
    result = await world.mo.slash(world.general, "terreau posts now", ritual="question")

    assert result.ephemeral
    assert said(world, result, "ritual") == ("messages.posts.posted", {"ritual": "question"})
    posted = world.general.last_message
    assert posted is not None and posted.author.bot
    assert posted.content and not posted.mention_everyone and not posted.role_mentions


async def test_manage_server_is_enough_to_pause_and_resume(world: World) -> None:
    paused = await world.owner.slash(world.general, "terreau posts pause", ritual="question")
    resumed = await world.owner.slash(world.general, "terreau posts resume", ritual="question")

    assert said(world, paused, "ritual") == ("messages.posts.paused", {"ritual": "question"})
    assert said(world, resumed, "ritual") == ("messages.posts.resumed", {"ritual": "question"})


async def test_members_without_a_moderator_role_are_refused(world: World) -> None:
    result = await world.alice.slash(world.general, "terreau posts pause", ritual="question")

    assert result.ephemeral
    assert said(world, result, "command") == (
        "messages.commands.moderators_only",
        {"command": "/terreau posts pause <ritual>"},
    )
    listed = await world.mo.slash(world.general, "terreau posts list")
    key, shown = said(world, listed, "rituals")
    assert key == "messages.posts.list.body"
    assert [ritual["paused"] for ritual in shown["rituals"]] == [False]  # type: ignore[attr-defined]


async def test_an_unknown_ritual_is_explained(world: World) -> None:
    result = await world.mo.slash(world.general, "terreau posts now", ritual="nope")

    assert said(world, result, "ritual", "known") == (
        "messages.posts.unknown_ritual",
        {"ritual": "nope", "known": "question"},
    )


async def test_buttons_still_work_after_the_bot_restarts(world: World) -> None:
    assert world.app is not None
    clicks: list[ChoiceMade] = []

    async def on_poll(event: ChoiceMade) -> None:
        clicks.append(event)
        await world.app.respond(event, Post(text=f"Noted: {event.choice_id}"))  # type: ignore[union-attr]

    world.app.on_choice("poll", on_poll)
    where = ChannelRef(community=KEY, channel_id=str(world.general.id))
    post = Post(
        text="Tomatoes or beans?",
        choices=(
            Choice(id="poll:7:tomatoes", label="Tomatoes"),
            Choice(id="poll:7:beans", label="Beans"),
        ),
    )
    await world.adapter.send(where, post, nonce="poll-7")
    message = world.general.last_message
    assert message is not None

    # A new process: a new client, no view kept in memory, same simulated Discord.
    fresh = adapter_for(world.settings(), world.adapter.client.registry)
    fresh.client.sink = world.app.dispatcher.dispatch
    world.app.platforms["discord"] = fresh  # type: ignore[index]
    await world.env.restart_bot(fresh.client)

    result = await world.alice.click(message, label="Beans")

    assert [click.choice_id for click in clicks] == ["poll:7:beans"]
    assert clicks[0].member.id == str(world.alice.id)
    assert result.ephemeral and content(result) == "Noted: poll:7:beans"


async def test_many_choices_become_a_persistent_menu(world: World) -> None:
    assert world.app is not None
    picked: list[str] = []

    async def on_vote(event: ChoiceMade) -> None:
        picked.append(event.choice_id)
        await world.app.respond(event, Post(text="ok"))  # type: ignore[union-attr]

    world.app.on_choice("vote", on_vote)
    choices = tuple(Choice(id=f"vote:1:m{i}", label=f"Member {i}") for i in range(12))
    where = ChannelRef(community=KEY, channel_id=str(world.general.id))
    await world.adapter.send(where, Post(text="Who?", choices=choices), nonce="vote-1")
    message = world.general.last_message
    assert message is not None

    result = await world.alice.select(message, ["vote:1:m3"])

    assert picked == ["vote:1:m3"] and result.ephemeral
