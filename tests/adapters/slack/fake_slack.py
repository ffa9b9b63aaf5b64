"""A small fake Slack: the Web API methods Terreau calls, and a Socket Mode websocket.

It binds 127.0.0.1 on a free port. Responses follow Slack's documented shapes;
tests set up users, user groups and rate limits, then read what was called.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import PATIENCE

TEAM = "T0TERREAU"
BOT_USER = "U0TERREAU"
BOT_TOKEN = "xoxb-1111-terreau"
APP_TOKEN = "xapp-1-A0TERREAU-2222"
MANIFEST_SCOPES = (
    "commands",
    "chat:write",
    "channels:history",
    "groups:history",
    "im:history",
    "im:write",
    "reactions:read",
    "users:read",
    "usergroups:read",
)
"""The bot scopes of adapters/slack/manifest.json: what an installed Terreau is granted."""
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.history": "channels:history",
    "conversations.replies": "channels:history",
    "conversations.open": "im:write",
    "users.info": "users:read",
    "users.list": "users:read",
    "usergroups.users.list": "usergroups:read",
}
"""The scope Slack requires for each method the fake serves (public channels)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    """The fake server's state: what exists, what was asked, what to refuse."""

    teams: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            BOT_TOKEN: {"team_id": TEAM, "team": "Acme", "user_id": BOT_USER, "bot_id": "B0BOT"}
        }
    )
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    rate_limits: dict[str, list[int]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    scopes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Bot scopes granted per token; a token not listed has MANIFEST_SCOPES."""
    app_tokens: set[str] = field(default_factory=lambda: {APP_TOKEN})
    outside: set[str] = field(default_factory=set)
    """Channels the bot is not a member of: reading them answers `not_in_channel`."""
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Channels the app created (conversations.create), with their members."""
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    # Slack's own time, which stamps each message's ts; tests set it to their clock.
    clock: Callable[[], datetime] = field(default_factory=lambda: _utc_now)
    # Awaited when a chat.postMessage arrives, instead of storing the message (before) or
    # once it is stored (after): a test kills the poster there, as a crash would.
    before_post: Callable[[], Awaitable[None]] | None = None
    after_post: Callable[[], Awaitable[None]] | None = None
    base: str = ""
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/response/{id}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for socket in list(self.sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"{self.base}/api/"

    def add_user(self, user_id: str, name: str, **flags: Any) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM,
            "name": name.lower(),
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "profile": {"display_name": name, "real_name": name},
            **flags,
        }

    def called(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    # Web API.

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or params.pop("token", None)
        self.calls.append(Call(method, params, token))
        limits = self.rate_limits.get(method)
        if limits:
            retry_after = limits.pop(0)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        if token in self.revoked:  # what Slack answers once the app is uninstalled
            return web.json_response({"ok": False, "error": "token_revoked"})
        team = self.teams.get(token or "")
        if team is None and method != "apps.connections.open":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "apps.connections.open" and token not in self.app_tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        granted = self.scopes.get(token or "", MANIFEST_SCOPES)
        headers = {"X-OAuth-Scopes": ",".join(granted)} if team is not None else {}
        needed = METHOD_SCOPES.get(method)
        if needed is not None and needed not in granted:
            body = {"ok": False, "error": "missing_scope", "needed": needed}
            return web.json_response({**body, "provided": ",".join(granted)}, headers=headers)
        failure = (self.failures.get(method) or [None]).pop(0) if method in self.failures else None
        if failure == "before":  # Slack failed and did nothing
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        posting = method == "chat.postMessage"
        if posting and self.before_post is not None:  # the post is lost on the way
            await self.before_post()
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        body: dict[str, Any] = handler(params, team)
        if posting and self.after_post is not None:
            await self.after_post()
        if failure == "after":  # Slack did the work, but the answer was lost
            return web.json_response({"ok": False, "error": "internal_error"}, status=503)
        return web.json_response(body, headers=headers)

    def _auth_test(self, params: Mapping[str, Any], team: dict[str, str]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": team["team"],
            "user": "terreau",
            "team_id": team["team_id"],
            "user_id": team["user_id"],
            "bot_id": team["bot_id"],
            "is_enterprise_install": False,
        }

    def _next_ts(self) -> str:
        # Slack's ts is the posting time; the counter keeps each one unique and ordered.
        return f"{int(self.clock().timestamp())}.{next(self._ts):06d}"

    def _chat_postMessage(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        channel = str(params["channel"])
        if channel.startswith("C0GONE"):
            return {"ok": False, "error": "channel_not_found"}
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": team["user_id"],
            "bot_id": team["bot_id"],
            "text": params.get("text", ""),
            "ts": ts,
        }
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _history(self, messages: list[dict[str, Any]], params: Mapping[str, Any]) -> dict[str, Any]:
        """Newest first within `oldest`..`latest`, `limit` at a time from `cursor`, as Slack."""
        with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
        inclusive = str(params.get("inclusive")).lower() in ("true", "1")
        oldest = float(params.get("oldest") or 0)
        latest = float(params["latest"]) if params.get("latest") else None

        def within(ts: float) -> bool:
            after = ts >= oldest if inclusive else ts > oldest
            before = latest is None or (ts <= latest if inclusive else ts < latest)
            return after and before

        shown = [
            {k: v for k, v in m.items() if k != "metadata" or with_metadata}
            for m in sorted(messages, key=lambda m: float(m["ts"]), reverse=True)
            if within(float(m["ts"]))
        ]
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = shown[start : start + limit]
        more = start + limit < len(shown)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _conversations_history(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        channel = str(params["channel"])
        if channel.startswith("C0GONE"):
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        messages = [
            m
            for m in self.messages.get(str(params["channel"]), [])
            if "thread_ts" not in m or m["thread_ts"] == m["ts"]
        ]
        return self._history(messages, params)

    def _conversations_replies(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        thread = str(params["ts"])
        messages = [
            m
            for m in self.messages.get(str(params["channel"]), [])
            if m.get("thread_ts") == thread or m["ts"] == thread
        ]
        return self._history(messages, params)

    def _chat_update(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        return {
            "ok": True,
            "channel": params["channel"],
            "ts": params["ts"],
            "text": params.get("text", ""),
        }

    def _chat_postEphemeral(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_open(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        user = str(params["users"])
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D0" + user.removeprefix("U")}}

    def _space_scope(self, channel: Mapping[str, Any] | None, private: bool) -> dict[str, Any]:
        """The missing-scope answer when the bot may not manage that kind of channel, or {}."""
        needed = "groups:write" if private else "channels:manage"
        token = self.calls[-1].token or ""
        if needed in self.scopes.get(token, MANIFEST_SCOPES):
            return {}
        return {"ok": False, "error": "missing_scope", "needed": needed}

    def _conversations_create(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        private = str(params.get("is_private", "false")).lower() in ("true", "1")
        refused = self._space_scope(None, private)
        if refused:
            return refused
        name = str(params["name"])
        if name != name.lower() or " " in name or len(name) > 80 or not name:
            return {"ok": False, "error": "invalid_name_specials"}
        if any(channel["name"] == name for channel in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        channel_id = f"C{len(self.channels) + 900:08d}"
        channel = {
            "id": channel_id,
            "name": name,
            "is_channel": not private,
            "is_private": private,
            "is_archived": False,
            "created": int(self.clock().timestamp()),
            "creator": team["user_id"],
            "members": [team["user_id"]],
        }
        self.channels[channel_id] = channel
        return {"ok": True, "channel": {k: v for k, v in channel.items() if k != "members"}}

    def _conversations_invite(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        channel = self.channels.get(str(params["channel"]))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        refused = self._space_scope(channel, channel["is_private"])
        if refused:
            return refused
        if channel["is_archived"]:
            return {"ok": False, "error": "is_archived"}
        users = str(params["users"]).split(",")
        for user in users:
            if user not in self.users:
                return {"ok": False, "error": "user_not_found"}
        if len(users) == 1 and users[0] in channel["members"]:
            return {"ok": False, "error": "already_in_channel"}
        channel["members"] += [user for user in users if user not in channel["members"]]
        return {"ok": True, "channel": {k: v for k, v in channel.items() if k != "members"}}

    def _conversations_archive(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        channel = self.channels.get(str(params["channel"]))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        refused = self._space_scope(channel, channel["is_private"])
        if refused:
            return refused
        if channel["is_archived"]:
            return {"ok": False, "error": "already_archived"}
        channel["is_archived"] = True
        return {"ok": True}

    def _users_info(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        user = self.users.get(str(params["user"]))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _users_list(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        ordered = sorted(self.users.values(), key=lambda user: user["name"])
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 200)
        page = ordered[start : start + limit]
        after = start + limit
        cursor = str(after) if after < len(ordered) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _usergroups_users_list(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        group = str(params["usergroup"])
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.usergroups[group]}

    def _apps_connections_open(self, params: Mapping[str, Any], team: Any) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://{self.base.removeprefix('http://')}/link"}

    # response_url.

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    # Socket Mode.

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0TERREAU"},
            }
        )
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    data = json.loads(message.data)
                    if "envelope_id" in data:
                        self.acks.append(data)
        finally:
            if socket in self.sockets:
                self.sockets.remove(socket)
        return socket

    async def push(self, envelope: Mapping[str, Any]) -> None:
        """Send an envelope to every connected Socket Mode client."""
        async with asyncio.timeout(PATIENCE):
            while not self.sockets:  # noqa: ASYNC110 (waits for the client's connection)
                await asyncio.sleep(0.001)
        for socket in self.sockets:
            await socket.send_json(dict(envelope))

    def acked(self, envelope_id: str) -> list[dict[str, Any]]:
        return [ack for ack in self.acks if ack["envelope_id"] == envelope_id]
