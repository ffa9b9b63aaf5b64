"""`terreau doctor` on Slack: tokens, scopes, the connection mode and channel membership.

Each workspace's bot token is checked with `auth.test`, whose `X-OAuth-Scopes` header
lists the scopes granted, compared with the scopes the configured features need.
Membership of each configured channel is read with `conversations.history` (one
message), which needs no scope beyond what Terreau uses anyway and answers
`not_in_channel` to a bot that was never invited.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Mapping, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import CommunityConfig, SlackSettings
from bot.doctor import Finding, Findings, Words
from bot.features.icebreaker import IcebreakerConfig

log = logging.getLogger(__name__)

BASE_SCOPES = {
    "commands": "why_commands",
    "chat:write": "why_posting",
    "channels:history": "why_history",
    "groups:history": "why_private",
    "reactions:read": "why_reactions",
    "users:read": "why_members",
}
"""Scopes every Terreau needs, and what for (labels of `doctor.labels`)."""
CHAMPION_SCOPES = {"im:write": "why_dms", "im:history": "why_dms"}
MODERATOR_GROUP_SCOPES = {"usergroups:read": "why_moderator_groups"}


def needed_scopes(community: CommunityConfig) -> dict[str, str]:
    """Return each bot scope the community's config needs, and what for."""
    needed = dict(BASE_SCOPES)
    icebreaker = community.section(IcebreakerConfig)
    if icebreaker.enabled and icebreaker.champions.enabled:
        needed.update(CHAMPION_SCOPES)
    if community.moderator_roles:
        needed.update(MODERATOR_GROUP_SCOPES)
    return needed


def granted_scopes(headers: Mapping[str, object]) -> set[str]:
    """Return the scopes listed in a Web API response's `X-OAuth-Scopes` header."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            raw = value[0] if isinstance(value, list | tuple) else value
            return {scope.strip() for scope in str(raw).split(",") if scope.strip()}
    return set()


class SlackProbe:
    """Checks each configured workspace with its bot token, and the connection mode."""

    def __init__(
        self,
        *,
        settings: SlackSettings,
        communities: Sequence[CommunityConfig],
        bot_tokens: Mapping[str, str | None],
        app_token: str | None,
        signing_secret: str | None,
    ) -> None:
        self._settings = settings
        self._communities = [c for c in communities if c.platform == "slack"]
        self._bot_tokens = bot_tokens
        self._app_token = app_token
        self._signing_secret = signing_secret

    async def examine(self) -> Sequence[Finding]:
        found = Findings("slack")
        if self._settings.mode == "socket":
            await self._socket_mode(found)
        else:
            self._http_mode(found)
        results = list(found.found)
        for community in self._communities:
            results.extend(await self._workspace(community))
        return results

    def _client(self, token: str | None) -> AsyncWebClient:
        return AsyncWebClient(token=token, base_url=self._settings.api_base, timeout=30)

    async def _socket_mode(self, found: Findings) -> None:
        token = self._app_token
        if token is None:
            found.problem("secrets.missing", variable="SLACK_APP_TOKEN")
            return
        if not token.startswith("xapp-"):
            found.problem("slack.token_kind", variable="SLACK_APP_TOKEN", kind="app")
            return
        try:
            await self._client(token).apps_connections_open(app_token=token)
        except SlackApiError as error:
            found.problem("slack.socket_failed", error=_code(error))
        except (aiohttp.ClientError, TimeoutError) as error:
            found.problem("slack.unreachable", error=f"{type(error).__name__}: {error}")
        else:
            found.ok("slack.socket_ok")

    def _http_mode(self, found: Findings) -> None:
        if self._signing_secret is None:
            found.problem("secrets.missing", variable="SLACK_SIGNING_SECRET")
        address = f"{self._settings.http_host}:{self._settings.http_port}"
        try:
            infos = socket.getaddrinfo(
                self._settings.http_host, self._settings.http_port, type=socket.SOCK_STREAM
            )
            family, kind, protocol, _, where = infos[0]
            with socket.socket(family, kind, protocol) as listener:
                listener.bind(where)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                found.note("slack.http_busy", address=address)
            else:
                found.problem("slack.http_failed", address=address, error=str(error))
            return
        found.ok("slack.http_ok", address=address)

    async def _workspace(self, community: CommunityConfig) -> list[Finding]:
        found = Findings(community.key)
        token = self._bot_tokens.get(community.id)
        variable = f"SLACK_BOT_TOKEN_{community.id} / SLACK_BOT_TOKEN"
        if token is None:
            found.problem("secrets.missing", variable=variable)
            return found.found
        if not token.startswith("xoxb-"):
            found.problem("slack.token_kind", variable=variable, kind="bot")
            return found.found
        client = self._client(token)
        try:
            response = await client.auth_test()
        except SlackApiError as error:
            found.problem("slack.auth_failed", error=_code(error), variable=variable)
            return found.found
        except (aiohttp.ClientError, TimeoutError) as error:
            found.problem("slack.unreachable", error=f"{type(error).__name__}: {error}")
            return found.found
        team = str(response.get("team_id") or "")
        if team != community.id:
            found.problem("slack.wrong_team", team=team, expected=community.id)
            return found.found
        found.ok("slack.auth_ok", team=str(response.get("team") or team), user=response["user"])
        self._scopes(found, community, granted_scopes(response.headers))
        for purpose, channel in community.channels.items():
            await self._channel(found, client, purpose, channel)
        return found.found

    def _scopes(self, found: Findings, community: CommunityConfig, granted: set[str]) -> None:
        needed = needed_scopes(community)
        missing = [scope for scope in needed if scope not in granted]
        if not missing:
            found.ok("slack.scopes_ok", scopes=", ".join(needed))
        for scope in missing:
            found.problem("slack.scope_missing", scope=scope, why=Words((needed[scope],)))

    async def _channel(
        self, found: Findings, client: AsyncWebClient, purpose: str, channel: str
    ) -> None:
        try:
            await client.conversations_history(channel=channel, limit=1)
        except SlackApiError as error:
            code = _code(error)
            if code == "not_in_channel":
                found.problem("slack.channel_outside", channel=channel, purpose=purpose)
            elif code == "channel_not_found":
                found.problem("slack.channel_missing", channel=channel, purpose=purpose)
            else:
                found.problem("slack.channel_error", channel=channel, purpose=purpose, error=code)
        except (aiohttp.ClientError, TimeoutError) as error:
            found.problem("slack.unreachable", error=f"{type(error).__name__}: {error}")
        else:
            found.ok("slack.channel_ok", channel=channel, purpose=purpose)


def _code(error: SlackApiError) -> str:
    response = error.response
    return str(response.get("error") or f"HTTP {response.status_code}")
