"""`terreau doctor` on Discord: what the config needs, checked against the real application.

Only REST calls, through discord.py's own HTTP client and models (no gateway): the
application's privileged intents (its `flags`), the bot's membership of each
configured server, its permissions in each configured channel as Discord computes
them from roles and overwrites (`GuildChannel.permissions_for`), the winner role's
place below the bot's, and whether `/terreau` is registered in the server.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

import aiohttp
import discord
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.adapter import point_at
from adapters.discord.commands import ROOT
from bot.config import CommunityConfig, DiscordSettings
from bot.doctor import Finding, Findings, Words
from bot.features.election import ElectionConfig
from bot.features.groups import GroupsConfig
from bot.features.invites import InvitesConfig
from bot.features.posts import PostsConfig
from bot.features.report import ReportConfig

log = logging.getLogger(__name__)

# Application flags (Discord documents them with the application object).
GATEWAY_GUILD_MEMBERS = 1 << 14
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
INTENTS = {
    "members_intent": GATEWAY_GUILD_MEMBERS | GATEWAY_GUILD_MEMBERS_LIMITED,
    "message_content": GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED,
}
MISSING_ACCESS = 50001

POSTING = ("view_channel", "send_messages", "embed_links", "read_message_history")
THREADS = ("create_public_threads", "send_messages_in_threads")
FILES = ("attach_files",)
PRIVATE_THREADS = ("create_private_threads", "send_messages_in_threads")
INVITES = ("create_instant_invite",)
AUTHORIZE = "https://discord.com/oauth2/authorize"


def channel_needs(community: CommunityConfig) -> dict[str, dict[str, str]]:
    """Return, per channel purpose, each permission the config needs there and why."""
    needs: dict[str, dict[str, str]] = {
        purpose: dict.fromkeys(POSTING, "posting") for purpose in community.channels
    }
    for ritual in community.section(PostsConfig).schedules:
        if ritual.thread and ritual.channel in needs:
            needs[ritual.channel].update(dict.fromkeys(THREADS, "threads"))
    report = community.section(ReportConfig)
    if report.digest_cron is not None and report.channel in needs:
        needs[report.channel].update(dict.fromkeys(FILES, "charts"))
    groups = community.section(GroupsConfig)
    if groups.enabled and groups.channel in needs:
        spaces = PRIVATE_THREADS if groups.private else THREADS
        needs[groups.channel].update(dict.fromkeys(spaces, "groups"))
    invites = community.section(InvitesConfig)
    if invites.enabled and invites.channel in needs:
        needs[invites.channel].update(dict.fromkeys(INVITES, "invites"))
    return needs


def invite_url(application_id: int, communities: Sequence[CommunityConfig]) -> str:
    """Return the link that adds the bot with every permission the config needs."""
    wanted = {name for c in communities for needs in channel_needs(c).values() for name in needs}
    elections = [c.section(ElectionConfig) for c in communities]
    if any(election.enabled and election.winner_role for election in elections):
        wanted.add("manage_roles")
    if any(c.section(InvitesConfig).enabled for c in communities):
        wanted.add("manage_guild")
    permissions = discord.Permissions(**dict.fromkeys(wanted, True))
    query = urlencode(
        {
            "client_id": str(application_id),
            "scope": "bot applications.commands",
            "permissions": str(permissions.value),
        },
        quote_via=quote,
    )
    return f"{AUTHORIZE}?{query}"


class DiscordProbe:
    """Checks every configured Discord server with the bot token."""

    def __init__(
        self, *, token: str, settings: DiscordSettings, communities: Sequence[CommunityConfig]
    ) -> None:
        self._token = token
        self._settings = settings
        self._communities = [c for c in communities if c.platform == "discord"]

    async def examine(self) -> Sequence[Finding]:
        found = Findings("discord")
        previous = point_at(self._settings)
        quiet = _NoVoiceWarning()
        logging.getLogger("discord.client").addFilter(quiet)
        # No gateway connection: the intents only keep discord.py's model code quiet.
        client = discord.Client(intents=discord.Intents(guilds=True))
        try:
            try:
                await client.login(self._token)
                application = await client.http.request(Route("GET", "/applications/@me"))
            except discord.LoginFailure as error:
                found.problem("discord.token_refused", error=str(error))
                return found.found
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
                found.problem("discord.unreachable", error=_reason(error))
                return found.found
            assert client.user is not None
            found.ok("discord.login", user=client.user.name, application=application["id"])
            self._intents(found, int(application.get("flags") or 0))
            results = list(found.found)
            invite = invite_url(int(application["id"]), self._communities)
            for community in self._communities:
                results.extend(
                    await self._community(client, community, int(application["id"]), invite)
                )
            return results
        finally:
            await client.close()
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous
            logging.getLogger("discord.client").removeFilter(quiet)

    def _intents(self, found: Findings, flags: int) -> None:
        for setting, bits in INTENTS.items():
            wanted = getattr(self._settings, setting)
            enabled = bool(flags & bits)
            if wanted and enabled:
                found.ok("discord.intent_ok", intent=setting)
            elif wanted:
                found.problem("discord.intent_missing", intent=setting)
            else:
                found.note("discord.intent_off", intent=setting, enabled=enabled)

    async def _community(
        self,
        client: discord.Client,
        community: CommunityConfig,
        application_id: int,
        invite: str,
    ) -> list[Finding]:
        found = Findings(community.key)
        try:
            guild = await client.fetch_guild(int(community.id), with_counts=False)
            assert client.user is not None
            me = await guild.fetch_member(client.user.id)
        except (discord.Forbidden, discord.NotFound) as error:
            found.problem("discord.not_in_guild", error=_reason(error), invite=invite)
            return found.found
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            found.problem("discord.request_failed", error=_reason(error))
            return found.found
        found.ok("discord.in_guild", guild=guild.name)
        try:
            channels = {channel.id: channel for channel in await guild.fetch_channels()}
            await self._channels(found, community, channels, me)
            self._winner_role(found, community, guild, me)
            self._invite_counts(found, community, me)
            commands = await client.http.get_guild_commands(application_id, guild.id)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            found.problem("discord.request_failed", error=_reason(error))
            return found.found
        if any(command.get("name") == ROOT for command in commands):
            found.ok("discord.commands_synced")
        else:
            found.problem("discord.commands_missing", invite=invite)
        return found.found

    async def _channels(
        self,
        found: Findings,
        community: CommunityConfig,
        channels: Mapping[int, discord.abc.GuildChannel],
        me: discord.Member,
    ) -> None:
        for purpose, needs in channel_needs(community).items():
            channel_id = community.channels[purpose]
            channel = channels.get(int(channel_id)) if channel_id.isdigit() else None
            if channel is None:
                found.problem("discord.channel_missing", channel=channel_id, purpose=purpose)
                continue
            granted = channel.permissions_for(me)
            missing = [name for name in needs if not getattr(granted, name)]
            if not missing:
                found.ok(
                    "discord.channel_ok",
                    name=channel.name,
                    purpose=purpose,
                    permissions=Words(tuple(f"permission_{name}" for name in needs)),
                )
                continue
            found.problem(
                "discord.channel_denied",
                name=channel.name,
                purpose=purpose,
                permissions=Words(tuple(f"permission_{name}" for name in missing)),
                why=Words(tuple(dict.fromkeys(f"why_{needs[name]}" for name in missing))),
                role=me.top_role.name,
            )

    def _invite_counts(
        self, found: Findings, community: CommunityConfig, me: discord.Member
    ) -> None:
        """Say whether joins through members' links can be counted (Manage Server)."""
        if not community.section(InvitesConfig).enabled:
            return
        if me.guild_permissions.manage_guild:
            found.ok("discord.invite_counts_ok")
        else:
            found.problem("discord.manage_guild_missing")

    def _winner_role(
        self, found: Findings, community: CommunityConfig, guild: discord.Guild, me: discord.Member
    ) -> None:
        election = community.section(ElectionConfig)
        role_id = election.winner_role
        if not election.enabled or not role_id:
            return
        role = guild.get_role(int(role_id)) if role_id.isdigit() else None
        if role is None:
            found.problem("discord.role_missing", role=role_id)
        elif not me.guild_permissions.manage_roles:
            found.problem("discord.manage_roles_missing", role=role.name)
        elif me.top_role <= role:
            found.problem("discord.role_above", role=role.name, top=me.top_role.name)
        else:
            found.ok("discord.role_ok", role=role.name)


class _NoVoiceWarning(logging.Filter):
    """Drop discord.py's notice that voice is unsupported: the doctor never uses voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def _reason(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"{error.status} {error.text or error}".strip()
    return f"{type(error).__name__}: {error}".rstrip(": ")
