"""A small Discord server (REST + gateway) on 127.0.0.1 that unmodified discord.py logs into.

It speaks just enough of Discord's documented protocol for Terreau's adapter:
login and application info, guild command sync, message sends, interaction
callbacks, members and their roles, DMs, a guild's channels and active threads, channel
history (messages kept with the ids and times of the server's clock; a nonce kept only
for `NONCE_WINDOW`, as Discord's `enforce_nonce` does, and never shown when messages
are listed); and a gateway. Every request and gateway payload is recorded.

The gateway keeps sessions as Discord does: IDENTIFY opens one (READY, then the
guilds' GUILD_CREATE), every dispatch of a session is numbered and kept, and a
RESUME of a session still valid replays what came after the client's sequence,
then says RESUMED, whether the connection was lost a moment ago or the client is a
new process. Events dispatched while no connection is open wait in their session.
A RESUME of a session the gateway no longer holds is answered with an invalid
session (op 9, `d = false`). A client closing with 1000 or 1001, or a close code
that forbids resuming (4007, 4009), ends its session; any other close keeps it.
While `down()` holds, the websocket upgrade is refused with HTTP 503, as a gateway
in an outage refuses connections; `close_on_resume` closes a connection as soon as
it asks to RESUME (a gateway that drops every attempt).
As Discord does, it blanks the text of messages for a session identified without
the Message Content intent (unless the message mentions the bot).
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
MESSAGE_CONTENT = 1 << 15
"""The Message Content intent: without it, Discord blanks what members typed."""
SESSION_ENDING_CLOSES = {1000, 1001, 4007, 4009}
"""Close codes after which Discord holds no session to resume."""
_GUILD_ONLY = {
    "channels",
    "threads",
    "members",
    "presences",
    "voice_states",
    "large",
    "unavailable",
    "member_count",
    "joined_at",
    "stage_instances",
    "guild_scheduled_events",
    "soundboard_sounds",
    "lazy",
}
"""GUILD_CREATE fields that GET /guilds/{id} does not return."""
STAGE_EVENT, VOICE_EVENT, EXTERNAL_EVENT = 1, 2, 3
VOICE_CHANNEL, STAGE_CHANNEL = 2, 13
"""Scheduled event entity types, and the channel types each needs."""
GATEWAY_GUILD_MEMBERS = 1 << 14
GATEWAY_MESSAGE_CONTENT = 1 << 18
"""Application flags: the privileged intents enabled in the Developer Portal."""
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
class GatewaySession:
    """One gateway session: its numbered dispatches, kept to be replayed on RESUME."""

    id: str
    shard: list[int]
    sequence: int = 0
    sent: list[tuple[int, str]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    valid: bool = True

    def owns(self, guild_id: int | None) -> bool:
        """Return whether this session's shard receives the events of `guild_id`."""
        shard_id, count = self.shard
        return guild_id is None or (guild_id >> 22) % count == shard_id


@dataclass
class FakeDiscord:
    """The server; `start()` binds a free port, `stop()` closes everything it opened."""

    guilds: list[dict[str, Any]] = field(default_factory=lambda: [payload("guild_create")])
    close_on_identify: int | None = None
    close_on_resume: int | None = None
    token: str = "fake.bot.token"
    members: list[dict[str, Any]] = field(default_factory=list)
    role_refusal: tuple[int, int, str] | None = None
    application_flags: int = GATEWAY_GUILD_MEMBERS | GATEWAY_MESSAGE_CONTENT
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """The application commands registered per guild id (what the last sync PUT)."""
    requests: list[Request] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    resumes: list[dict[str, Any]] = field(default_factory=list)
    sessions: dict[str, GatewaySession] = field(default_factory=dict)
    connections: int = 0
    refused: int = 0
    invalidated: int = 0
    dispatched: int = 0
    down: Callable[[], bool] = lambda: False
    dm_channels: dict[str, str] = field(default_factory=dict)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    thread_members: dict[str, list[str]] = field(default_factory=dict)
    thread_refusal: tuple[int, int, str] | None = None
    invites: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Invites by code; a test raises `uses` as members join through one."""
    invite_refusal: tuple[int, int, str] | None = None
    scheduled_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Guild scheduled events by id, as POST /guilds/{id}/scheduled-events made them."""
    event_refusal: tuple[int, int, str] | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _session_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Messages by channel, oldest first, as listing them returns them.
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Discord's own time, which stamps each message's id; tests set it to their clock.
    clock: Callable[[], datetime] = field(default_factory=lambda: _utc_now)
    # Awaited when a message create arrives, instead of storing the message (before) or
    # once it is stored (after): a test kills the sender there, as a crash would.
    before_post: Callable[[], Awaitable[None]] | None = None
    after_post: Callable[[], Awaitable[None]] | None = None
    _nonces: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = field(default_factory=dict)
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
        for ws in self._sockets:
            if not ws.closed:
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # Gateway.

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch (op 0) in the session of the guild's shard; kept for a later RESUME."""
        guild = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        session = self._session_for(int(guild) if guild is not None else None)
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not self._reads_content(data):
            data = dict(data, content="", embeds=[], attachments=[], components=[])
        await self._dispatch(session, event, data)

    async def _dispatch(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        session.sequence += 1
        self.dispatched += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.sequence, "d": data})
        if event not in ("READY", "RESUMED"):
            session.sent.append((session.sequence, frame))
        ws = session.ws
        if ws is not None and not ws.closed:
            await ws.send_str(frame)

    def _session_for(self, guild_id: int | None) -> GatewaySession:
        live = [s for s in self.sessions.values() if s.valid and s.owns(guild_id)]
        assert live, f"no gateway session receives the events of guild {guild_id}"
        return live[-1]

    async def drop(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close the open connections (of one shard) as Discord does; 4007 and 4009 end sessions."""
        for session in list(self.sessions.values()):
            if shard is not None and session.shard[0] != shard:
                continue
            ws, session.ws = session.ws, None  # closed by the server: the session stays
            if code in SESSION_ENDING_CLOSES:
                session.valid = False
            if ws is not None and not ws.closed:
                await ws.close(code=code)

    def invalidate(self) -> None:
        """Forget every session: a later RESUME is answered with op 9 (`d = false`)."""
        for session in self.sessions.values():
            session.valid = False

    def _reads_content(self, message: dict[str, Any]) -> bool:
        intents = int(self.identifies[-1].get("intents", 0)) if self.identifies else 0
        mentioned = any(user.get("id") == BOT_ID for user in message.get("mentions", []))
        return bool(intents & MESSAGE_CONTENT) or mentioned

    def requests_to(self, method: str, fragment: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.down():
            self.refused += 1
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        self.connections += 1
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        session: GatewaySession | None = None
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
                session = GatewaySession(
                    id=f"fake-session-{next(self._session_ids)}", shard=data.get("shard", [0, 1])
                )
                self.sessions[session.id] = session
                session.ws = ws
                await self._ready(session)
            elif op == 6:
                self.resumes.append(data)
                if self.close_on_resume is not None:
                    await ws.close(code=self.close_on_resume)
                    break
                session = await self._resume(ws, data)
        if session is not None and session.ws is ws:  # the client closed it
            session.ws = None
            if ws.close_code in SESSION_ENDING_CLOSES:
                session.valid = False
        return ws

    async def _resume(
        self, ws: web.WebSocketResponse, data: dict[str, Any]
    ) -> GatewaySession | None:
        session = self.sessions.get(data["session_id"])
        if session is None or not session.valid:
            self.invalidated += 1
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return None
        older, session.ws = session.ws, None
        if older is not None and not older.closed:
            await older.close(code=4000)
        after = data["seq"] or 0
        index = next(
            (i for i, (seq, _) in enumerate(session.sent) if seq > after), len(session.sent)
        )
        while index < len(session.sent):
            await ws.send_str(session.sent[index][1])
            index += 1
        session.ws = ws
        await self._dispatch(session, "RESUMED", {})
        return session

    async def _ready(self, session: GatewaySession) -> None:
        shard_id, count = session.shard
        guilds = [g for g in self.guilds if (int(g["id"]) >> 22) % count == shard_id]
        await self._dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": BOT_USER,
                "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
                "session_id": session.id,
                "resume_gateway_url": self.gateway_url,
                "shard": session.shard,
                "application": {"id": BOT_ID, "flags": 0},
                "user_settings": {},
                "private_channels": [],
                "presences": [],
                "relationships": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
            },
        )
        for guild in guilds:
            await self._dispatch(session, "GUILD_CREATE", guild)

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
        if path in ("/oauth2/applications/@me", "/applications/@me"):
            return _json(_application(self.application_flags))
        if request.method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            self.commands[parts[3]] = [
                dict(
                    command,
                    id=str(1181111111111111111 + i),
                    application_id=BOT_ID,
                    guild_id=parts[3],
                    version="1",
                )
                for i, command in enumerate(body)
            ]
            return _json(self.commands[parts[3]])
        if request.method == "GET" and parts[0] == "applications" and parts[-1] == "commands":
            return _json(self.commands.get(parts[3], []))
        if request.method == "GET" and parts[0] == "guilds" and len(parts) in (2, 3):
            guild = self._guild(parts[1])
            if guild is None:
                return _error(403, 50001, "Missing Access")
            if len(parts) == 3 and parts[2] == "channels":
                return _json([dict(channel, guild_id=guild["id"]) for channel in guild["channels"]])
            if len(parts) == 2:
                shown = {k: v for k, v in guild.items() if k not in ("channels", "members")}
                return _json(shown)
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
        if parts[0] == "channels" and len(parts) == 3 and parts[2] in ("threads", "invites"):
            if request.method == "POST" and parts[2] == "threads":
                return self._start_thread(parts[1], body)
            if request.method == "POST":
                return self._create_invite(parts[1], body)
        if request.method == "PUT" and parts[0] == "channels" and parts[2:3] == ["thread-members"]:
            thread = self.threads.get(parts[1])
            if thread is None:
                return _error(404, 10003, "Unknown Channel")
            if thread["thread_metadata"]["locked"]:
                return _error(400, 50083, "Thread is archived")
            self.thread_members.setdefault(parts[1], [])
            if parts[3] not in self.thread_members[parts[1]]:
                self.thread_members[parts[1]].append(parts[3])
            return web.Response(status=204)
        if request.method == "PATCH" and parts[0] == "channels" and len(parts) == 2:
            thread = self.threads.get(parts[1])
            if thread is None:
                return _error(404, 10003, "Unknown Channel")
            for key in ("archived", "locked"):
                if key in body:
                    thread["thread_metadata"][key] = bool(body[key])
            return _json(thread)
        if request.method == "GET" and parts[0] == "guilds" and parts[2:] == ["invites"]:
            if self.invite_refusal is not None:
                status, code, message = self.invite_refusal
                return _error(status, code, message)
            return _json([i for i in self.invites.values() if i["guild"]["id"] == parts[1]])
        if request.method == "GET" and parts[0] == "channels" and parts[-1] == "messages":
            return _json(self._history(parts[1], request.query))
        if request.method == "POST" and parts[0] == "webhooks" and len(parts) == 3:
            # An interaction follow-up: a message sent with the interaction's token.
            return _json(self._message(str(body.get("channel_id") or parts[1]), body))
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
        if request.method == "GET" and parts[0] == "guilds":
            guild = self._guild(parts[1])
            if len(parts) == 2:
                if guild is None:
                    return _error(404, 10004, "Unknown Guild")
                return _json({k: v for k, v in guild.items() if k not in _GUILD_ONLY})
            if guild is not None and parts[2:] == ["channels"]:
                return _json(guild.get("channels", []))
            if guild is not None and parts[2:] == ["threads", "active"]:
                return _json({"threads": guild.get("threads", []), "members": []})
        if parts[0] == "guilds" and parts[2:] == ["members"]:
            after = int(request.query.get("after", "0"))
            limit = int(request.query.get("limit", "1000"))
            page = [m for m in self.members if int(m["user"]["id"]) > after][:limit]
            return _json(page)
        if parts[0] == "guilds" and len(parts) == 6 and parts[2:5:2] == ["members", "roles"]:
            return self._member_role(request.method, parts[3], parts[5])
        if parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members":
            guild = self._guild(parts[1])
            for member in [*self.members, *(guild or {}).get("members", [])]:
                if member["user"]["id"] == parts[3]:
                    return _json(member)
            return _error(404, 10007, "Unknown Member")
        if request.method == "POST" and parts[0] == "guilds" and parts[2:] == ["scheduled-events"]:
            return self._create_scheduled_event(parts[1], body)
        if parts[0] == "guilds" and len(parts) == 4 and parts[2] == "scheduled-events":
            return self._scheduled_event(request.method, parts[1], parts[3], body)
        if request.method == "GET" and parts[0] == "channels" and len(parts) == 2:
            for guild in self.guilds:
                for channel in guild.get("channels", []):
                    if channel["id"] == parts[1]:
                        return _json(dict(channel, guild_id=guild["id"]))
            return _error(404, 10003, "Unknown Channel")
        return _error(404, 0, f"the fake server has no route for {request.method} {path}")

    def _channel_guild(self, channel_id: str) -> dict[str, Any] | None:
        for guild in self.guilds:
            if any(channel["id"] == channel_id for channel in guild.get("channels", [])):
                return guild
        return None

    def _start_thread(self, channel_id: str, body: dict[str, Any]) -> web.StreamResponse:
        """POST /channels/{id}/threads: a thread without a starter message, as Discord makes."""
        guild = self._channel_guild(channel_id)
        if guild is None:
            return _error(404, 10003, "Unknown Channel")
        if self.thread_refusal is not None:
            status, code, message = self.thread_refusal
            return _error(status, code, message)
        thread_id = str(1176000000000000000 + next(self._ids))
        thread = {
            "id": thread_id,
            "guild_id": guild["id"],
            "parent_id": channel_id,
            "owner_id": BOT_ID,
            "name": body["name"][:100],
            "type": body["type"],
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body["auto_archive_duration"],
                "archive_timestamp": self.clock().isoformat(),
                "locked": False,
                "invitable": body.get("invitable", True),
            },
        }
        self.threads[thread_id] = thread
        self.thread_members[thread_id] = [BOT_ID]
        return _json(thread, status=201)

    def _create_invite(self, channel_id: str, body: dict[str, Any]) -> web.StreamResponse:
        """POST /channels/{id}/invites: a new code each time when `unique` is asked."""
        guild = self._channel_guild(channel_id)
        if guild is None:
            return _error(404, 10003, "Unknown Channel")
        code = f"terreau{next(self._ids)}"
        invite = {
            "code": code,
            "type": 0,
            "guild": {"id": guild["id"], "name": guild["name"]},
            "channel": {"id": channel_id, "name": "general", "type": 0},
            "inviter": BOT_USER,
            "uses": 0,
            "max_uses": body.get("max_uses", 0),
            "max_age": body.get("max_age", 86400),
            "temporary": body.get("temporary", False),
            "created_at": self.clock().isoformat(),
        }
        self.invites[code] = invite
        return _json(invite)

    def _create_scheduled_event(self, guild_id: str, body: dict[str, Any]) -> web.StreamResponse:
        """POST /guilds/{id}/scheduled-events, checked as Discord checks it."""
        guild = self._guild(guild_id)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        if self.event_refusal is not None:
            status, code, message = self.event_refusal
            return _error(status, code, message)
        kind = body.get("entity_type")
        channels = {c["id"]: c["type"] for c in guild.get("channels", [])}
        if kind in (STAGE_EVENT, VOICE_EVENT):
            wanted = STAGE_CHANNEL if kind == STAGE_EVENT else VOICE_CHANNEL
            if channels.get(str(body.get("channel_id"))) != wanted:
                return _error(400, 50035, "Invalid Form Body (channel_id)")
        elif kind == EXTERNAL_EVENT:
            location = (body.get("entity_metadata") or {}).get("location")
            if not location or not body.get("scheduled_end_time"):
                return _error(400, 50035, "Invalid Form Body (entity_metadata.location)")
        else:
            return _error(400, 50035, "Invalid Form Body (entity_type)")
        event_id = str(1177000000000000000 + next(self._ids))
        channel_id = None if body.get("channel_id") is None else str(body["channel_id"])
        event = {
            "id": event_id,
            "guild_id": guild_id,
            "channel_id": channel_id,
            "creator_id": BOT_ID,
            "creator": BOT_USER,
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": kind,
            "entity_id": channel_id,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
        }
        self.scheduled_events[event_id] = event
        return _json(event)

    def _scheduled_event(
        self, method: str, guild_id: str, event_id: str, body: Any
    ) -> web.StreamResponse:
        """GET or PATCH one scheduled event; a status moves only forward, as on Discord."""
        event = self.scheduled_events.get(event_id)
        if event is None or event["guild_id"] != guild_id:
            return _error(404, 10070, "Unknown Guild Scheduled Event")
        if method == "GET":
            return _json(event)
        if method != "PATCH":
            return _error(405, 0, "405: Method Not Allowed")
        if self.event_refusal is not None:
            status, code, message = self.event_refusal
            return _error(status, code, message)
        wanted = body.get("status", event["status"])
        allowed = {1: {1, 2, 4}, 2: {2, 3}}.get(event["status"], {event["status"]})
        if wanted not in allowed:
            return _error(400, 180000, "Cannot update event status")
        event["status"] = wanted
        return _json(event)

    def _guild(self, guild_id: str) -> dict[str, Any] | None:
        return next((guild for guild in self.guilds if guild["id"] == guild_id), None)

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


def _application(flags: int = 0) -> dict[str, Any]:
    return {
        "id": BOT_ID,
        "name": "Terreau",
        "icon": None,
        "description": "",
        "bot_public": False,
        "bot_require_code_grant": False,
        "owner": dict(BOT_USER, id="1160000000000000099", username="owner", bot=False),
        "verify_key": "00",
        "flags": flags,
        "team": None,
        "summary": "",
        "rpc_origins": [],
        "interactions_endpoint_url": None,
        "bot": BOT_USER,
    }
