"""A small Discord server (REST + gateway) on 127.0.0.1 that unmodified discord.py logs into.

It speaks just enough of Discord's documented protocol for Terreau's adapter:
login and application info, guild command sync, message sends, interaction
callbacks, members and their roles, DMs, channel history (messages kept with the ids and
times of the server's clock; a nonce kept only for `NONCE_WINDOW`, as Discord's
`enforce_nonce` does, and never shown when messages are listed); a gateway that says
HELLO, answers IDENTIFY with
READY and the guilds' GUILD_CREATE, accepts RESUME, and can drop a connection
or close it with a given code. Every request and gateway payload is recorded.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

PAYLOADS = Path(__file__).parent / "payloads"
BOT_ID = "1180000000000000001"
BOT_USER = {
    "id": BOT_ID,
    "username": "terreau",
    "global_name": "Terreau",
    "discriminator": "0",
    "avatar": None,
    "bot": True,
    "public_flags": 0,
    "flags": 0,
    "verified": True,
    "mfa_enabled": False,
}
CLOSED_DMS = {"1170000000000000099"}
DISCORD_EPOCH = 1420070400000
NONCE_WINDOW = timedelta(minutes=2)
"""Discord drops a repeated `enforce_nonce` send "in the past few minutes"; two here."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def payload(name: str) -> dict[str, Any]:
    """Return a recorded gateway payload from payloads/."""
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return data


@dataclass
class Request:
    """One REST call the server received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeDiscord:
    """The server; `start()` binds a free port, `stop()` closes everything it opened."""

    guilds: list[dict[str, Any]] = field(default_factory=lambda: [payload("guild_create")])
    close_on_identify: int | None = None
    token: str = "fake.bot.token"
    members: list[dict[str, Any]] = field(default_factory=list)
    role_refusal: tuple[int, int, str] | None = None
    requests: list[Request] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    resumes: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    dm_channels: dict[str, str] = field(default_factory=dict)
    # Messages by channel, oldest first, as listing them returns them.
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Discord's own time, which stamps each message's id; tests set it to their clock.
    clock: Callable[[], datetime] = field(default_factory=lambda: _utc_now)
    # Awaited when a message create arrives, instead of storing the message (before) or
    # once it is stored (after): a test kills the sender there, as a crash would.
    before_post: Callable[[], Awaitable[None]] | None = None
    after_post: Callable[[], Awaitable[None]] | None = None
    _nonces: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = field(default_factory=dict)
    _ws: web.WebSocketResponse | None = None
    _sequence: int = 0
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    port: int = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # Gateway.

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH (op 0) on the open connection."""
        assert self._ws is not None and not self._ws.closed, "no gateway connection"
        self._sequence += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._sequence, "d": data}))

    async def drop(self, code: int = 4000) -> None:
        """Close the connection as Discord does when a session must resume."""
        assert self._ws is not None
        await self._ws.close(code=code)

    def requests_to(self, method: str, fragment: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            op, data = frame["op"], frame["d"]
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                self.identifies.append(data)
                if self.close_on_identify is not None:
                    await ws.close(code=self.close_on_identify)
                    break
                await self._ready(data)
            elif op == 6:
                self.resumes.append(data)
                await self.dispatch("RESUMED", {})
        return ws

    async def _ready(self, identify: dict[str, Any]) -> None:
        shard = identify.get("shard", [0, 1])
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": BOT_USER,
                "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
                "session_id": "fake-session-1",
                "resume_gateway_url": self.gateway_url,
                "shard": shard,
                "application": {"id": BOT_ID, "flags": 0},
                "user_settings": {},
                "private_channels": [],
                "presences": [],
                "relationships": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
            },
        )
        for guild in self.guilds:
            await self.dispatch("GUILD_CREATE", guild)

    # REST.

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body: Any = await request.json() if request.can_read_body else None
        path = "/" + request.match_info["path"]
        self.requests.append(Request(request.method, path, dict(request.query), body))
        parts = path.strip("/").split("/")
        if path == "/users/@me":
            if request.headers.get("Authorization") != f"Bot {self.token}":
                return _error(401, 0, "401: Unauthorized")
            return _json(BOT_USER)
        if path == "/oauth2/applications/@me":
            return _json(_application())
        if request.method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            return _json(
                [
                    dict(
                        command,
                        id=str(1181111111111111111 + i),
                        application_id=BOT_ID,
                        guild_id=parts[3],
                        version="1",
                    )
                    for i, command in enumerate(body)
                ]
            )
        if request.method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            if self.before_post is not None:  # the message is lost on the way
                await self.before_post()
                return _error(500, 0, "500: Internal Server Error")
            try:
                created = self._message(parts[1], body)
            except _Refused as refused:
                return _error(refused.status, refused.code, str(refused))
            if self.after_post is not None:
                await self.after_post()
            return _json(created)
        if request.method == "GET" and parts[0] == "channels" and parts[-1] == "messages":
            return _json(self._history(parts[1], request.query))
        if request.method == "POST" and parts[0] == "interactions":
            return _json(
                {"interaction": {"id": parts[1], "type": 2, "response_message_loading": False}}
            )
        if request.method == "POST" and path == "/users/@me/channels":
            recipient = str(body["recipient_id"])
            channel_id = str(1175000000000000000 + next(self._ids))
            self.dm_channels[channel_id] = recipient
            return _json(
                {
                    "id": channel_id,
                    "type": 1,
                    "recipients": [dict(BOT_USER, id=recipient, bot=False)],
                    "last_message_id": None,
                }
            )
        if parts[0] == "guilds" and parts[2:] == ["members"]:
            after = int(request.query.get("after", "0"))
            limit = int(request.query.get("limit", "1000"))
            page = [m for m in self.members if int(m["user"]["id"]) > after][:limit]
            return _json(page)
        if parts[0] == "guilds" and len(parts) == 6 and parts[2:5:2] == ["members", "roles"]:
            return self._member_role(request.method, parts[3], parts[5])
        if parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members":
            for member in self.members:
                if member["user"]["id"] == parts[3]:
                    return _json(member)
            return _error(404, 10007, "Unknown Member")
        return _error(404, 0, f"the fake server has no route for {request.method} {path}")

    def _member_role(self, method: str, member_id: str, role_id: str) -> web.StreamResponse:
        """PUT or DELETE /guilds/{g}/members/{u}/roles/{r}: 204, as Discord answers."""
        if self.role_refusal is not None:
            status, code, message = self.role_refusal
            return _error(status, code, message)
        if role_id not in {role["id"] for guild in self.guilds for role in guild["roles"]}:
            return _error(404, 10011, "Unknown Role")
        for member in self.members:
            if member["user"]["id"] == member_id:
                roles = [role for role in member["roles"] if role != role_id]
                member["roles"] = [*roles, role_id] if method == "PUT" else roles
                return web.Response(status=204)
        return _error(404, 10007, "Unknown Member")

    def _message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.dm_channels.get(channel_id) in CLOSED_DMS:
            raise _Refused(403, 50007, "Cannot send messages to this user")
        now = self.clock()
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((channel_id, str(nonce)))
            if seen is not None and now - seen[0] < NONCE_WINDOW:
                return dict(seen[1], nonce=nonce)
        moment = int(now.timestamp() * 1000) - DISCORD_EPOCH
        message = {
            "id": str((moment << 22) + next(self._ids)),
            "channel_id": channel_id,
            "author": BOT_USER,
            "content": body.get("content", ""),
            "timestamp": now.isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": body.get("components", []),
        }
        self.messages.setdefault(channel_id, []).append(message)
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = (now, message)
        # Only the answer to the create carries the nonce; Discord does not store it.
        return dict(message, nonce=nonce)

    def _history(self, channel_id: str, query: Any) -> list[dict[str, Any]]:
        """GET /channels/{id}/messages: newest first, `after` taking the oldest after it."""
        messages = self.messages.get(channel_id, [])
        limit = min(int(query.get("limit", "50")), 100)
        if "after" in query:
            after = int(query["after"])
            return list(reversed([m for m in messages if int(m["id"]) > after][:limit]))
        if "before" in query:
            before = int(query["before"])
            messages = [m for m in messages if int(m["id"]) < before]
        return list(reversed(messages[-limit:]))


class _Refused(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py reads a body as JSON only when Content-Type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status=status)


def _application() -> dict[str, Any]:
    return {
        "id": BOT_ID,
        "name": "Terreau",
        "icon": None,
        "description": "",
        "bot_public": False,
        "bot_require_code_grant": False,
        "owner": dict(BOT_USER, id="1160000000000000099", username="owner", bot=False),
        "verify_key": "00",
        "flags": 0,
        "team": None,
        "summary": "",
        "rpc_origins": [],
        "interactions_endpoint_url": None,
        "bot": BOT_USER,
    }
