"""The discord.py client: gateway events in, domain events out to the core's sink."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters._eager import start_eagerly
from adapters.discord import translate
from adapters.discord._gateway import ResumingClient
from adapters.discord._members import MemberCache
from adapters.discord._parsers import HotParsers
from adapters.discord._screening import Screening
from adapters.discord.commands import PromptTranslator, build_tree_root
from adapters.discord.views import ChoiceButton, ChoiceSelect
from bot.commands import CommandRegistry
from bot.config import DiscordSettings
from bot.domain import ChoiceMade, CommandInvoked, Event
from bot.observability import GatewayObserver
from bot.ports import Clock, EventSink
from bot.prompts import Prompts

if TYPE_CHECKING:
    from discord.types.gateway import GuildMemberUpdateEvent

log = logging.getLogger(__name__)

ACKNOWLEDGE_AFTER = 2.0
"""Seconds before an unanswered interaction is deferred (Discord allows three)."""
REMEMBERED_INTERACTIONS = 2000


def intents_for(settings: DiscordSettings) -> discord.Intents:
    """Return the default intents plus the privileged ones the config asks for."""
    intents = discord.Intents.default()
    intents.members = settings.members_intent
    intents.message_content = settings.message_content
    return intents


def shard_of(guild_id: int, shard_count: int) -> int:
    """Return the shard that receives a guild's events (Discord's documented formula)."""
    return (guild_id >> 22) % shard_count


class TerreauClient(ResumingClient):
    """An `AutoShardedClient` serving the configured guilds of its shards."""

    def __init__(
        self,
        *,
        settings: DiscordSettings,
        guilds: Mapping[int, str],
        commands: CommandRegistry,
        prompts: Prompts,
        clock: Clock,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            clock=clock,
            guild_ready_timeout=guild_ready_timeout,
            intents=intents_for(settings),
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids),
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,  # no message cache: `_parsers.py` keeps none either
            max_ratelimit_timeout=30.0,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.tree: app_commands.CommandTree[TerreauClient] = app_commands.CommandTree(self)
        self.settings = settings
        self.guilds_served = dict(guilds)
        self.registry = commands
        self.prompts = prompts
        self.clock = clock
        self.sink: EventSink | None = None
        self.interactions: OrderedDict[str, discord.Interaction[Any]] = OrderedDict()
        # Configured guilds the bot was removed from: reported once, until it is back.
        self.departed: set[int] = set()
        self.screening = Screening(self.guilds_served)
        self.members = MemberCache()
        self.screening.follow(self)
        self.hot_parsers = HotParsers(
            self,
            served=self.guilds_served,
            members=self.members,
            clock=clock,
            deliver=self.deliver_now,
        )
        self.hot_parsers.install()
        # Told of each gateway session (connect, reconnect, resume) when metrics are on.
        self.gateway_observer: GatewayObserver | None = None
        self._connected_shards: set[int] = set()
        # Events and interactions the core is handling, so stopping waits for them.
        self._handling: set[asyncio.Future[Any]] = set()

    def owned_guilds(self, shard_id: int | None = None) -> list[int]:
        """Return the configured guilds whose events reach this process's shards (or one)."""
        count = self.settings.shard_count
        shards = self.settings.shard_ids if shard_id is None else [shard_id]
        return [g for g in self.guilds_served if shard_of(g, count) in shards]

    async def setup_hook(self) -> None:
        """Register persistent choices and the command tree, then sync it per guild."""
        self.add_dynamic_items(ChoiceButton, ChoiceSelect)
        await self.tree.set_translator(PromptTranslator(self.prompts))
        root = build_tree_root(self.registry, self.prompts.catalog("en"))
        guilds = [discord.Object(id=g) for g in self.owned_guilds()]
        for guild in guilds:
            self.tree.clear_commands(guild=guild)
        if guilds:
            self.tree.add_command(root, guilds=guilds)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Sync `/terreau` to each owned guild, so changes show at once."""
        for guild_id in self.owned_guilds():
            await self._sync(guild_id)

    async def _sync(self, guild_id: int) -> None:
        try:
            synced = await self.tree.sync(guild=discord.Object(id=guild_id))
        except discord.DiscordException as error:
            log.warning("could not sync /terreau to guild %s: %s", guild_id, error)
        else:
            log.info("synced %d command(s) to guild %s", len(synced), guild_id)

    # Gateway events.

    async def on_shard_connect(self, shard_id: int) -> None:
        """Count a new gateway session: a shard's first, or a reconnection after a lost one."""
        kind = "reconnect" if shard_id in self._connected_shards else "connect"
        self._connected_shards.add(shard_id)
        if self.gateway_observer is not None:
            self.gateway_observer.session("discord", kind)

    async def on_shard_resumed(self, shard_id: int) -> None:
        """Count a session resumed after a dropped connection (events replayed, none lost)."""
        if self.gateway_observer is not None:
            self.gateway_observer.session("discord", "resume")

    async def on_shard_ready(self, shard_id: int) -> None:
        """Log what a shard serves; a configured guild missing from its READY was left."""
        for guild in self.guilds:
            if guild.shard_id == shard_id:
                self._note_guild(guild)
        for guild_id in self.owned_guilds(shard_id):
            # READY lists every guild the bot is in (outages included, as unavailable).
            if self.get_guild(guild_id) is not None or guild_id in self.departed:
                continue
            await self._left_while_down(guild_id)

    async def guilds_restored(self, found: list[discord.Guild], gone: list[int]) -> None:
        """Serve the guilds read for a RESUME at start; those the bot is not in were left."""
        for guild in found:
            self._note_guild(guild)
            await self._added(guild.id)
        for guild_id in gone:
            if guild_id not in self.departed:
                await self._left_while_down(guild_id)

    async def _left_while_down(self, guild_id: int) -> None:
        log.warning(
            "configured Discord guild %s is not among the bot's guilds: it was removed "
            "(or never invited); its data goes after the departure grace period",
            guild_id,
        )
        await self._removed(guild_id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Log a guild the bot was just added to; a configured one is served (again)."""
        self._note_guild(guild)
        await self._added(guild.id)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Tell the core a configured guild is served (at start-up, after an outage, re-invited).

        discord.py reports a GUILD_CREATE carrying `unavailable: false` this way, which is
        how Discord sends the guilds of READY and, often, a guild the bot was invited to.
        """
        await self._added(guild.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Translate the bot's removal from a guild (GUILD_DELETE that is not an outage)."""
        if guild.id in self.guilds_served:
            log.warning("Terreau was removed from Discord guild %s (%s)", guild.id, guild.name)
            await self._removed(guild.id)

    async def _added(self, guild_id: int) -> None:
        if guild_id not in self.guilds_served:
            return
        back = guild_id in self.departed
        self.departed.discard(guild_id)
        await self._deliver(translate.bot_added(guild_id, now=self.clock.now()))
        if back:
            log.info("Terreau is back in Discord guild %s", guild_id)
            await self._sync(guild_id)  # the sync may have failed, or been undone, meanwhile

    async def _removed(self, guild_id: int) -> None:
        self.departed.add(guild_id)
        await self._deliver(translate.bot_removed(guild_id, now=self.clock.now()))

    def _note_guild(self, guild: discord.Guild) -> None:
        if guild.id in self.guilds_served:
            log.info("serving Discord guild %s (%s)", guild.id, guild.name)
        else:
            log.warning(
                "in Discord guild %s (%s), which is not in the config: not serving it",
                guild.id,
                guild.name,
            )

    async def on_message(self, message: discord.Message) -> None:
        """Translate a posted message (not the bot's own)."""
        if self.user is not None and message.author.id == self.user.id:
            return
        author = self.members.of(message.author)
        await self._deliver(translate.message_posted(message, member=author))

    async def on_raw_message_edit(self, event: discord.RawMessageUpdateEvent) -> None:
        """Translate an edit."""
        await self._deliver(translate.message_edited(event))

    async def on_raw_message_delete(self, event: discord.RawMessageDeleteEvent) -> None:
        """Translate a deletion."""
        parent = self._thread_parent(event.guild_id, event.channel_id)
        now = self.clock.now()
        await self._deliver(translate.message_deleted(event, thread_parent=parent, now=now))

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        """Translate a reaction."""
        await self._reaction(event)

    async def on_raw_reaction_remove(self, event: discord.RawReactionActionEvent) -> None:
        """Translate a reaction taken back."""
        await self._reaction(event)

    async def _reaction(self, event: discord.RawReactionActionEvent) -> None:
        if self.user is not None and event.user_id == self.user.id:
            return
        parent = self._thread_parent(event.guild_id, event.channel_id)
        now = self.clock.now()
        who = self.members.of(event.member) if event.member is not None else None
        await self._deliver(
            translate.reaction_changed(event, thread_parent=parent, now=now, member=who)
        )

    async def on_member_join(self, member: discord.Member) -> None:
        """Translate a join."""
        await self._deliver(translate.member_joined(member))

    async def on_raw_member_remove(self, event: discord.RawMemberRemoveEvent) -> None:
        """Translate a departure."""
        self.members.forget(event.guild_id, event.user.id)
        if self.screening.forget(event.guild_id, event.user.id):
            await self.screening.store_released(event.guild_id, event.user.id)
        await self._deliver(translate.member_left(event, now=self.clock.now()))

    async def on_thread_create(self, thread: discord.Thread) -> None:
        """Translate a new thread (not one the bot opened on its own post)."""
        if self.user is not None and thread.owner_id == self.user.id:
            return
        await self._deliver(translate.thread_created(thread))

    async def on_screening_held(self, guild_id: int, user_id: int) -> None:
        """Write down a member who joined held at membership screening."""
        await self.screening.store_held(guild_id, user_id)

    async def on_screened_member_update(self, data: GuildMemberUpdateEvent) -> None:
        """Translate an update of a member who joined held at screening (passed, or not yet)."""
        guild = self.get_guild(int(data["guild_id"]))
        if guild is not None:
            # The update payload holds a whole member, as discord.py's own parser relies on.
            member = discord.Member(data=data, guild=guild, state=self._connection)  # type: ignore[arg-type]
            now = self.clock.now()
            await self._deliver(translate.member_verified(member, was_pending=True, now=now))
        if not data.get("pending", False):
            await self.screening.store_released(int(data["guild_id"]), int(data["user"]["id"]))

    def _thread_parent(self, guild_id: int | None, channel_id: int) -> int | None:
        guild = self.get_guild(guild_id) if guild_id is not None else None
        thread = guild.get_thread(channel_id) if guild is not None else None
        return thread.parent_id if thread is not None else None

    async def _deliver(self, event: Event | None) -> None:
        if event is None or self.sink is None:
            return
        if int(event.community.split(":", 1)[1]) not in self.guilds_served:
            return
        handling = asyncio.ensure_future(self.sink(event))
        self._handling.add(handling)
        handling.add_done_callback(self._handling.discard)
        await handling

    def deliver_now(self, event: Event) -> None:
        """Hand a parser's event to the core at once; in a task only if its handling waits."""
        if self.sink is None:
            return
        task = start_eagerly(self._handle_event(self.sink, event))
        if task is not None:
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)
            self.track(task)

    @staticmethod
    async def _handle_event(sink: EventSink, event: Event) -> None:
        try:
            await sink(event)
        except Exception:
            # As discord.py's `on_error` does for the events it dispatches.
            log.exception("handling %s %s failed", type(event).__name__, event.event_id)

    async def drain(self, within: float) -> None:
        """Wait (at most `within` seconds) for the events and clicks being handled.

        Called once no new event can arrive, before the database they write to closes.
        """
        pending = {task for task in self._handling if not task.done()}
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=within)
        if still:
            log.warning("stopping with %d event(s) still being handled", len(still))

    # Interactions.

    async def command_invoked(
        self,
        interaction: discord.Interaction[Any],
        group: str,
        action: str,
        options: Mapping[str, str],
    ) -> None:
        """Deliver a `/terreau` call to the core, which answers through `respond`."""
        if interaction.guild_id is None or interaction.guild_id not in self.guilds_served:
            log.info("ignored /terreau from unconfigured guild %s", interaction.guild_id)
            return
        channel_id, _ = translate.place(interaction.channel or interaction.channel_id)
        event = CommandInvoked(
            event_id=f"interaction:{interaction.id}",
            community=translate.guild_key(interaction.guild_id),
            occurred_at=interaction.created_at,
            member=translate.to_member(interaction.user),
            channel_id=channel_id,
            group=group,
            action=action,
            options=dict(options),
            interaction_id=str(interaction.id),
        )
        await self._handle(interaction, event, defer_update=False)

    async def choice_made(self, interaction: discord.Interaction[Any], choice_id: str) -> None:
        """Deliver a click to the core."""
        guild_id = interaction.guild_id
        if guild_id is None:
            guild_id, choice_id = translate.direct_click(choice_id)
        if guild_id is None or guild_id not in self.guilds_served:
            await interaction.response.defer()
            return
        channel_id, _ = translate.place(interaction.channel or interaction.channel_id)
        message = interaction.message
        event = ChoiceMade(
            event_id=f"interaction:{interaction.id}",
            community=translate.guild_key(guild_id),
            occurred_at=interaction.created_at,
            member=translate.to_member(interaction.user),
            channel_id=channel_id,
            message_id=str(message.id) if message is not None else "",
            choice_id=choice_id,
            interaction_id=str(interaction.id),
        )
        await self._handle(interaction, event, defer_update=True)

    async def _handle(
        self, interaction: discord.Interaction[Any], event: Event, *, defer_update: bool
    ) -> None:
        self.interactions[str(interaction.id)] = interaction
        while len(self.interactions) > REMEMBERED_INTERACTIONS:
            self.interactions.popitem(last=False)
        if self.sink is None:
            return
        sink = self.sink

        async def handle() -> None:
            await sink(event)

        handling = asyncio.create_task(handle())
        self._handling.add(handling)
        handling.add_done_callback(self._handling.discard)
        await asyncio.wait({handling}, timeout=ACKNOWLEDGE_AFTER)
        if not handling.done() and not interaction.response.is_done():
            # Discord drops an interaction not acknowledged within three seconds.
            await interaction.response.defer(ephemeral=True, thinking=not defer_update)
        await handling
        if defer_update and not interaction.response.is_done():
            await interaction.response.defer()
