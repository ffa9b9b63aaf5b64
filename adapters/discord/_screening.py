"""Members held at Discord's membership screening, followed until they pass it, across restarts.

Discord says a member passed screening with a GUILD_MEMBER_UPDATE carrying
`pending: false`, like any other update of any member, and discord.py (with no member
cache) drops updates of members it does not hold. So the raw parsers are wrapped: a
held join is noted while its GUILD_MEMBER_ADD is parsed, before any later update can
be, and an update of a noted member is handed on as `screened_member_update`.

The parsers cannot wait, so the notes they read are in memory; the database keeps a
copy through the `PlatformState` port, read back before the gateway connects, so a
member who joined before a restart and passes after it (or while Terreau was down,
replayed by the RESUME) is still recognised. Each note and release is written by a
handler of its own, in the order of the gateway's events, and a session checkpoint
waits for those handlers: a saved sequence never covers an unwritten note.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import discord

from adapters.discord import translate
from bot.ports import PlatformState

if TYPE_CHECKING:
    from discord.types.gateway import GuildMemberAddEvent, GuildMemberUpdateEvent

log = logging.getLogger(__name__)

REMEMBERED_SCREENINGS = 10_000
"""Members held at membership screening that are followed; the oldest are forgotten first."""


class Screening:
    """Who is held at screening, by (guild, user): in memory for the parsers, and stored."""

    def __init__(self, guilds: Mapping[int, str], *, limit: int = REMEMBERED_SCREENINGS) -> None:
        self.held: OrderedDict[tuple[int, int], None] = OrderedDict()
        self.state: PlatformState | None = None
        self._guilds = guilds
        self._limit = limit
        self._forgotten: list[tuple[int, int]] = []
        self._writing = asyncio.Lock()

    def follow(self, client: discord.Client) -> None:
        """Wrap `client`'s member parsers: note held joins, hand on their updates."""
        parsers = client._connection.parsers
        parse_add, parse_update = parsers["GUILD_MEMBER_ADD"], parsers["GUILD_MEMBER_UPDATE"]

        def member_add(data: GuildMemberAddEvent) -> None:
            parse_add(data)
            guild_id = int(data["guild_id"])
            if data.get("pending", False) and guild_id in self._guilds:
                key = (guild_id, int(data["user"]["id"]))
                self.held[key] = None
                while len(self.held) > self._limit:
                    self._forgotten.append(self.held.popitem(last=False)[0])
                client.dispatch("screening_held", *key)

        def member_update(data: GuildMemberUpdateEvent) -> None:
            parse_update(data)
            key = (int(data["guild_id"]), int(data["user"]["id"]))
            if key not in self.held:
                return
            if not data.get("pending", False):
                del self.held[key]
            client.dispatch("screened_member_update", data)

        parsers["GUILD_MEMBER_ADD"] = member_add
        parsers["GUILD_MEMBER_UPDATE"] = member_update

    def forget(self, guild_id: int, user_id: int) -> bool:
        """Stop following a member (they left); True if they were held."""
        if (guild_id, user_id) not in self.held:
            return False
        del self.held[guild_id, user_id]
        return True

    async def restore(self) -> None:
        """Read back the members held when Terreau last ran (call before connecting)."""
        if self.state is None:
            return
        keys = {translate.guild_key(guild_id): guild_id for guild_id in self._guilds}
        stored = await self.state.held_at_screening(list(keys), limit=self._limit)
        for community, member_id in stored:
            self.held[keys[community], int(member_id)] = None
        if stored:
            log.info("following %d member(s) held at membership screening", len(stored))

    async def store_held(self, guild_id: int, user_id: int) -> None:
        """Write down a held member (and forget those the memory let go of)."""
        if self.state is None:
            return
        async with self._writing:
            await self.state.hold_at_screening(translate.guild_key(guild_id), str(user_id))
            forgotten, self._forgotten = self._forgotten, []
            for guild, members in _by_guild(forgotten).items():
                await self.state.release_from_screening(translate.guild_key(guild), members)

    async def store_released(self, guild_id: int, user_id: int) -> None:
        """Erase a member who passed screening or left."""
        if self.state is None:
            return
        async with self._writing:
            await self.state.release_from_screening(translate.guild_key(guild_id), [str(user_id)])


def _by_guild(keys: Sequence[tuple[int, int]]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for guild_id, user_id in keys:
        grouped.setdefault(guild_id, []).append(str(user_id))
    return grouped
