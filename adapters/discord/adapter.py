"""The Discord chat platform: discord.py behind Terreau's `ChatPlatform` port."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import _events, _spaces, translate
from adapters.discord._client import TerreauClient
from adapters.discord._errors import DMS_CLOSED, port_errors
from adapters.discord._roles import move_role
from adapters.discord._sent import find_posted
from adapters.discord._sessions import SessionKeeper
from adapters.discord.render import discord_nonce, render
from bot.commands import CommandRegistry
from bot.config import CommunityConfig, DiscordSettings
from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Member,
    Post,
    ScheduledEvent,
    SentMessage,
)
from bot.observability import GatewayObserver
from bot.ports import (
    Clock,
    EventSink,
    Forbidden,
    NotFound,
    PlatformState,
    StartupFailed,
    Unavailable,
    Unsupported,
)
from bot.prompts import Prompts

log = logging.getLogger(__name__)

PORTAL = "https://discord.com/developers/applications"
MAX_THREAD_NAME = 100
MAX_PAGE = 1000
DRAIN_TIMEOUT = 10.0
"""Seconds a stop waits for the events and clicks the core is still handling."""

_INTENT_NAMES = {
    "members_intent": "Server Members Intent",
    "message_content": "Message Content Intent",
}


def point_at(settings: DiscordSettings) -> tuple[str, yarl.URL]:
    """Send discord.py's REST calls and gateway connections where the config says.

    discord.py reads both from class attributes, so this is process-wide; it returns
    the previous values for `stop()` to put back.
    """
    previous = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE = settings.api_base.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
    return previous


def intents_error(settings: DiscordSettings) -> StartupFailed:
    """Return the start-up error for close code 4014 (a privileged intent not enabled)."""
    asked = [name for key, name in _INTENT_NAMES.items() if getattr(settings, key)]
    names = " and ".join(asked) or "a privileged intent"
    keys = ", ".join(f"[discord] {key} = false" for key, _ in _INTENT_NAMES.items())
    return StartupFailed(
        f"Discord refused the connection (close code 4014): the bot asks for the {names}, "
        f"which is not enabled for this application. Enable it in the Discord Developer Portal "
        f"({PORTAL} -> your application -> Bot -> Privileged Gateway Intents), or stop asking "
        f"for it in the config ({keys})."
    )


class DiscordAdapter:
    """Serves every configured Discord guild of this process's shards."""

    name = "discord"

    def __init__(
        self,
        *,
        token: str,
        settings: DiscordSettings,
        communities: Sequence[CommunityConfig],
        commands: CommandRegistry,
        prompts: Prompts,
        clock: Clock,
        guild_ready_timeout: float = 2.0,
        gateway_observer: GatewayObserver | None = None,
    ) -> None:
        self._token = token
        self._settings = settings
        self.client = TerreauClient(
            settings=settings,
            guilds={int(c.id): c.key for c in communities if c.platform == "discord"},
            commands=commands,
            prompts=prompts,
            clock=clock,
            guild_ready_timeout=guild_ready_timeout,
        )
        self._clock = clock
        self.client.gateway_observer = gateway_observer
        self._runner: asyncio.Task[None] | None = None
        self._previous_endpoints: tuple[str, yarl.URL] | None = None
        self._sessions: SessionKeeper | None = None

    def keep_state_in(self, state: PlatformState) -> None:
        """Keep the shards' gateway sessions and the members held at screening in `state`."""
        self._sessions = SessionKeeper(self.client, state, self._clock)
        self.client.screening.state = state

    async def start(self, sink: EventSink) -> None:
        """Log in, connect every shard and return once all are ready."""
        if self._runner is not None:
            raise RuntimeError("the Discord adapter was already started")
        self.client.sink = sink
        self._previous_endpoints = point_at(self._settings)
        try:
            await self.client.login(self._token)
        except discord.LoginFailure as error:
            await self.client.close()
            raise StartupFailed(
                f"Discord rejected DISCORD_TOKEN ({error}); copy the bot token again from "
                f"{PORTAL} -> your application -> Bot"
            ) from error
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            await self.client.close()
            raise StartupFailed(
                f"could not log in to Discord at {self._settings.api_base} "
                f"([discord] api_base): {error}"
            ) from error
        try:
            await self.client.screening.restore()
            if self._sessions is not None:
                await self._sessions.restore()
        except BaseException:
            await self.client.close()
            raise
        self._runner = asyncio.create_task(self.client.connect(), name="terreau-discord")
        ready = asyncio.create_task(self.client.wait_until_serving())
        await asyncio.wait({self._runner, ready}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            if self._sessions is not None:
                self._sessions.start()
            return
        ready.cancel()
        failure = self._runner.exception()
        await self.client.close()
        if isinstance(failure, discord.PrivilegedIntentsRequired):
            raise intents_error(self._settings) from failure
        raise StartupFailed(f"could not connect to Discord: {failure}") from failure

    async def connected(self) -> bool:
        """Return whether every shard of this process is connected and ready."""
        client = self.client
        if self._runner is None or client.is_closed() or not client.is_ready():
            return False
        return all(not shard.is_closed() for shard in client.shards.values())

    async def stop(self) -> None:
        """Close the gateway connections (keeping the sessions, saved) and the HTTP session."""
        if self._sessions is not None and self._runner is not None:
            await self.client.close_gateway()
            await self._sessions.stop()
        await self.client.drain(within=DRAIN_TIMEOUT)
        await self.client.close()
        runner, self._runner = self._runner, None
        if runner is not None and not runner.done():
            runner.cancel()
        if runner is not None:
            with contextlib.suppress(asyncio.CancelledError, discord.DiscordException):
                await runner
        if self._previous_endpoints is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._previous_endpoints
            self._previous_endpoints = None

    # Sending.

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        """Post in a channel or thread; Discord drops a repeat of the nonce for a few minutes.

        Past those minutes (a restart), the outbox asks `find_sent` before sending again.
        """
        target = self._messageable(where.community, where.thread_id or where.channel_id)
        message = await self._post(target, post, nonce=discord_nonce(nonce), action="send")
        return SentMessage(
            community=where.community,
            channel_id=where.channel_id,
            message_id=str(message.id),
            thread_id=where.thread_id,
        )

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        """Return the bot's messages of that window showing this post (Discord keeps no nonce)."""
        target = self._messageable(where.community, where.thread_id or where.channel_id)
        user = self.client.user
        if user is None:
            raise Unavailable("the Discord adapter is not logged in")
        with port_errors("find_sent"):
            found = await find_posted(target, user.id, post, since, until)
        return [
            SentMessage(
                community=where.community,
                channel_id=where.channel_id,
                message_id=str(message.id),
                # A thread started from a message has the message's id.
                thread_id=str(message.id) if message.flags.has_thread else where.thread_id,
            )
            for message in found
        ]

    async def update(self, message: SentMessage, post: Post) -> None:
        """Edit a message the bot sent.

        A post sent as several messages is known by its last one (where its buttons
        are), so that is the part edited; the earlier parts keep their text.
        """
        target = self._messageable(message.community, message.thread_id or message.channel_id)
        rendered = render(post)[-1]
        with port_errors("update"):
            await target.get_partial_message(int(message.message_id)).edit(
                content=rendered.content,
                allowed_mentions=rendered.allowed_mentions,
                view=rendered.view,
            )

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        """Start a public thread on a channel message the bot sent."""
        if message.thread_id is not None:
            raise Unsupported("Discord threads cannot hold threads")
        target = self._messageable(message.community, message.channel_id)
        name = title[:MAX_THREAD_NAME] or "Terreau"
        with port_errors("open_thread"):
            thread = await target.get_partial_message(int(message.message_id)).create_thread(
                name=name
            )
        return SentMessage(
            community=message.community,
            channel_id=message.channel_id,
            message_id=message.message_id,
            thread_id=str(thread.id),
        )

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Answer an interaction, ephemerally when `private`."""
        interaction = self.client.interactions.get(to.interaction_id or "")
        if interaction is None:
            raise NotFound(f"interaction {to.interaction_id} is unknown or expired")
        with port_errors("respond"):
            for rendered in render(post):
                kwargs = rendered.kwargs()
                if not interaction.response.is_done():
                    await interaction.response.send_message(**kwargs, ephemeral=private)
                else:
                    await interaction.followup.send(**kwargs, ephemeral=private)

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        """Send a direct message; a member with DMs closed raises `Forbidden` (and is logged)."""
        guild_id = self._guild_id(community)
        # Discord sends a click in a direct message without its guild: the button says it.
        post = dataclasses.replace(
            post, choices=tuple(translate.direct_choice(c, guild_id) for c in post.choices)
        )
        try:
            with port_errors("send_direct"):
                user = discord.Object(id=int(member_id))
                channel = await self.client.create_dm(user)
                message = await self._post(channel, post, nonce=None, action="send_direct")
        except Forbidden as error:
            cause = error.__cause__
            if isinstance(cause, discord.Forbidden) and cause.code == DMS_CLOSED:
                log.info("member %s of %s does not accept direct messages", member_id, community)
            raise
        return SentMessage(
            community=community, channel_id=str(message.channel.id), message_id=str(message.id)
        )

    async def _post(
        self, target: discord.abc.Messageable, post: Post, *, nonce: str | None, action: str
    ) -> discord.Message:
        """Send a post as one message or several; the last one, with the buttons, is returned.

        The last message carries the nonce itself and the image; earlier parts carry
        nonces derived from it, so a retried send is dropped part by part.
        """
        parts = render(post)
        sent: discord.Message | None = None
        for index, rendered in enumerate(parts):
            last = index == len(parts) - 1
            kwargs: dict[str, Any] = rendered.kwargs()
            if nonce is not None:
                kwargs["nonce"] = nonce if last else discord_nonce(f"{nonce}:{index}")
            with port_errors(action):
                if last and post.image_path:
                    kwargs["file"] = discord.File(Path(post.image_path))
                sent = await target.send(**kwargs)
        assert sent is not None  # render() returns at least one message
        return sent

    # Members.

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        """Fetch a member through the REST API; None if they are not in the guild."""
        guild = await self._guild(community)
        try:
            with port_errors("fetch_member"):
                member = await guild.fetch_member(int(member_id))
        except NotFound:
            return None
        return translate.to_member(member)

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        """Return one page of members from the REST API (needs the members intent)."""
        if not self.client.intents.members:
            raise Unsupported("listing members needs [discord] members_intent = true")
        guild = await self._guild(community)
        members: list[Member] = []
        start = discord.Object(id=int(after) if after else 0)
        with port_errors("list_members"):
            async for member in guild.fetch_members(limit=min(limit, MAX_PAGE), after=start):
                members.append(translate.to_member(member))
        return sorted(members, key=lambda m: int(m.id))

    # Spaces and invitations.

    async def open_space(
        self, parent: ChannelRef, title: str, member_ids: Sequence[str], *, private: bool
    ) -> ChannelRef:
        """Open a thread in `parent` (private: only its members and moderators see it)."""
        self._guild_id(parent.community)
        return await _spaces.open_thread_space(
            self.client.http, parent, title, member_ids, private=private
        )

    async def add_to_space(self, space: ChannelRef, member_ids: Sequence[str]) -> None:
        """Add members to a space's thread."""
        self._guild_id(space.community)
        await _spaces.add_to_thread(self.client.http, space, member_ids)

    async def archive_space(self, space: ChannelRef) -> None:
        """Archive and lock a space's thread."""
        self._guild_id(space.community)
        await _spaces.archive_thread(self.client.http, space)

    async def create_invite(self, where: ChannelRef) -> str:
        """Create a unique, permanent invite link (needs Create Invite in that channel)."""
        self._guild_id(where.community)
        return await _spaces.create_invite(self.client.http, where)

    async def invite_uses(self, community: str) -> Mapping[str, int]:
        """Return the guild's invite links with their use counts (needs Manage Server)."""
        return await _spaces.invite_uses(self.client.http, self._guild_id(community))

    async def whisper(self, where: ChannelRef, member_id: str, post: Post) -> None:
        """Refuse: Discord shows a message to one member alone only in answer to them."""
        raise Unsupported(
            "Discord shows a message to one member alone only in answer to their command or click"
        )

    async def create_scheduled_event(self, event: ScheduledEvent) -> str:
        """Create a Guild Scheduled Event (needs Manage Events), on a voice or stage channel."""
        return await _events.create_scheduled_event(await self._guild(event.community), event)

    async def cancel_scheduled_event(self, community: str, event_id: str) -> None:
        """Cancel a Guild Scheduled Event to come, or end it if under way (Manage Events)."""
        await _events.cancel_scheduled_event(self.client.http, self._guild_id(community), event_id)

    # Roles (the optional `RoleManager` port).

    async def set_role(self, community: str, role_id: str, member_ids: Sequence[str]) -> None:
        """Make `member_ids` the only holders of a role; needs Manage Roles and the members intent.

        A refusal (no Manage Roles, or the role not below the bot's highest role) is
        logged and raised as `Forbidden`, naming the permission and the role.
        """
        guild = await self._guild(community)
        await move_role(self.client, guild, role_id, member_ids)

    # Lookups.

    def _guild_id(self, community: str) -> int:
        platform, _, raw = community.partition(":")
        if platform != translate.PLATFORM or not raw.isdecimal():
            raise NotFound(f"{community} is not a Discord community")
        guild_id = int(raw)
        if guild_id not in self.client.guilds_served:
            raise NotFound(f"{community} is not served by this process")
        return guild_id

    async def _guild(self, community: str) -> discord.Guild:
        guild_id = self._guild_id(community)
        guild = self.client.get_guild(guild_id)
        if guild is not None:
            return guild
        with port_errors("fetch_guild"):
            return await self.client.fetch_guild(guild_id)

    def _messageable(self, community: str, channel_id: str) -> discord.PartialMessageable:
        guild_id = self._guild_id(community)
        if not channel_id.isdecimal():
            raise NotFound(f"{channel_id!r} is not a Discord channel id")
        return self.client.get_partial_messageable(int(channel_id), guild_id=guild_id)
