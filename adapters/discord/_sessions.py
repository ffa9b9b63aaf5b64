"""A quick restart loses nothing: each shard's gateway session is saved, and resumed at start.

Saving. A checkpoint (every `SAVE_EVERY` on the clock, and when the adapter stops)
reads each shard's session and last sequence, waits for the handlers of the events up
to that sequence, lets the state settle (the interaction log's queue committed), and
only then saves. A saved sequence therefore never runs ahead of the database: after a
crash, a RESUME from it replays everything the crash lost, and what was already handled
comes back as a repeat that event ids recognise. A session saved unchanged is rewritten
only every `REFRESH_EVERY`, so an idle bot writes a row a minute, a busy one a row per
shard every few seconds, never one per event.

Starting. A session saved less than `RESUME_WINDOW` ago is RESUMEd (Discord keeps a
session a few minutes after its connection closed with anything but 1000/1001, which
is why shards close with 4000). RESUME assumes the client still holds the guilds it
had; a new process holds none, and discord.py drops the events of guilds it does not
hold. So the shard's configured guilds are read from the REST API first (guild,
channels, active threads) into discord.py's cache, as GUILD_CREATE would have put them.
If a guild cannot be read, or Discord refuses the session (op 9), the shard IDENTIFYs:
what it missed while down is lost, as it was before sessions were kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.ports import Clock, GatewaySession, PlatformState

if TYPE_CHECKING:
    from adapters.discord._client import TerreauClient

log = logging.getLogger(__name__)

PLATFORM = "discord"
SAVE_EVERY = timedelta(seconds=5)
"""How often the shards' sessions are checkpointed while the bot runs."""
REFRESH_EVERY = timedelta(minutes=1)
"""How often an unchanged session is saved again, so its age stays truthful."""
RESUME_WINDOW = timedelta(minutes=5)
"""How old a saved session may be to be RESUMEd at start (Discord keeps it a few minutes)."""
HANDLERS_TIMEOUT = 10.0
"""Seconds a checkpoint waits for running event handlers before giving up this round."""


async def read_guild(client: discord.Client, guild_id: int) -> dict[str, Any]:
    """Return a guild as GUILD_CREATE carries it, from the REST API."""
    http = client.http
    guild: dict[str, Any] = dict(await http.get_guild(guild_id, with_counts=True))
    threads = await http.get_active_threads(guild_id)
    guild.update(
        channels=await http.get_all_guild_channels(guild_id),
        threads=threads["threads"],
        member_count=guild.get("approximate_member_count"),
        unavailable=False,
    )
    return guild


class SessionKeeper:
    """Saves the shards' gateway sessions as the bot runs, and plans their RESUME at start."""

    def __init__(self, client: TerreauClient, state: PlatformState, clock: Clock) -> None:
        self._client = client
        self._state = state
        self._clock = clock
        self._saved: dict[int, GatewaySession] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def restore(self) -> None:
        """Plan a RESUME for each shard whose session was saved recently, its guilds cached."""
        settings = self._client.settings
        now = self._clock.now()
        for session in await self._state.gateway_sessions(PLATFORM):
            if (
                session.shard_id not in settings.shard_ids
                or session.shard_count != settings.shard_count
            ):
                continue
            self._saved[session.shard_id] = session
            age = now - session.saved_at
            if age > RESUME_WINDOW:
                log.info(
                    "shard %s: the saved session is %s old; starting a new one",
                    session.shard_id,
                    age,
                )
                continue
            if await self._cache_guilds(session.shard_id):
                self._client.resume_at_start[session.shard_id] = session

    async def _cache_guilds(self, shard_id: int) -> bool:
        client = self._client
        found: list[discord.Guild] = []
        gone: list[int] = []
        for guild_id in client.owned_guilds(shard_id):
            try:
                data = await read_guild(client, guild_id)
            except (discord.NotFound, discord.Forbidden):
                gone.append(guild_id)
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
                log.warning(
                    "shard %s: cannot read guild %s (%s); starting a new session",
                    shard_id,
                    guild_id,
                    error,
                )
                return False
            else:
                found.append(client._connection._add_guild_from_data(data))  # type: ignore[arg-type]
        await client.guilds_restored(found, gone)
        return True

    def start(self) -> None:
        """Checkpoint every `SAVE_EVERY` until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="terreau-discord-sessions")

    async def stop(self) -> None:
        """Stop the checkpoints and save a last one (call once the shards are closed)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.checkpoint()

    async def _run(self) -> None:
        while True:
            await self._clock.sleep_until(self._clock.now() + SAVE_EVERY)
            await self.checkpoint()

    async def checkpoint(self) -> bool:
        """Save every shard's session once what it covers is committed; False if not saved."""
        async with self._lock:
            sessions = self._client.sessions()
            running = set(self._client.handling)
            try:
                if running:
                    _, late = await asyncio.wait(running, timeout=HANDLERS_TIMEOUT)
                    if late:
                        log.warning(
                            "%d event handler(s) still running: session not saved", len(late)
                        )
                        return False
                await self._state.settle()
                due = [session for session in sessions if self._due(session)]
                await self._state.save_gateway_sessions(PLATFORM, due)
            except Exception:
                log.exception("could not save the Discord gateway sessions")
                return False
            self._saved.update((session.shard_id, session) for session in due)
            return True

    def _due(self, session: GatewaySession) -> bool:
        saved = self._saved.get(session.shard_id)
        return (
            saved is None
            or (saved.session_id, saved.sequence) != (session.session_id, session.sequence)
            or session.saved_at - saved.saved_at >= REFRESH_EVERY
        )
