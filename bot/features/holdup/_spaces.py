"""Where hold-ups gather ideas, kept in memory so that other messages cost no query.

A message written in a hold-up's thread during its ideas phase is an idea, so every
typed message has to be checked against those threads; asking the database each time
would put a query on the path of every message of a busy community. Instead each
community's ideas-phase spaces (a thread, or a channel of their own) are read once, by
the first typed message or the first phase check, whichever comes first, and kept:
this process adds a space when it records a hold-up's thread and drops it when it
moves the hold-up out of its ideas phase. A message anywhere else costs no query; one
in a known space is still checked against the database, which decides.

Another process sharing the database may open a thread, or end an ideas phase, that
this one does not see. Each phase check (`TICK`, every five minutes) reads the spaces
again, so a thread opened elsewhere is known here within one tick; until then a message
written in it is not taken as an idea (`/terreau holdup idea` there still is, since a
command always asks the database). A space whose ideas phase ended elsewhere costs a
query per message in it until the tick, or until such a query finds it over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.storage.holdups import Holdup, Holdups

if TYPE_CHECKING:
    from bot.feature import FeatureContext

Space = tuple[str, str | None]
"""A hold-up's space as stored: its channel, and its thread (None: the channel is its own)."""


def space_key(holdup: Holdup) -> Space | None:
    """Return where a hold-up talks, once its space is recorded."""
    if holdup.space_channel_id is None:
        return None
    return holdup.space_channel_id, holdup.space_thread_id


class _Known:
    """One community's ideas-phase spaces; changes noted during a reload survive it."""

    def __init__(self) -> None:
        self.loaded = False
        self.lock = asyncio.Lock()
        self._spaces: set[Space] = set()
        self._threads: frozenset[str] = frozenset()
        self._channels: frozenset[str] = frozenset()
        self._reading = False
        self._added: set[Space] = set()
        self._dropped: set[Space] = set()

    def holds(self, channel_id: str, thread_id: str | None) -> bool:
        """Return whether a message may be in a known space (as `Holdups.in_space` matches)."""
        if thread_id is not None:
            return thread_id in self._threads
        return channel_id in self._threads or channel_id in self._channels

    def add(self, space: Space) -> None:
        if self._reading:
            self._added.add(space)
            self._dropped.discard(space)
        self._spaces.add(space)
        self._index()

    def drop(self, space: Space) -> None:
        if self._reading:
            self._dropped.add(space)
            self._added.discard(space)
        self._spaces.discard(space)
        self._index()

    def reloading(self) -> None:
        """Start a read: what is added or dropped from now on survives the `reset` ending it."""
        self._reading = True
        self._added.clear()
        self._dropped.clear()

    def reset(self, stored: Iterable[Space]) -> None:
        """End a read with the spaces the database holds."""
        self._spaces = (set(stored) | self._added) - self._dropped
        self._reading = False
        self._added.clear()
        self._dropped.clear()
        self.loaded = True
        self._index()

    def _index(self) -> None:
        self._threads = frozenset(thread for _, thread in self._spaces if thread is not None)
        self._channels = frozenset(channel for channel, thread in self._spaces if thread is None)


class IdeaSpaces:
    """The spaces of every community's hold-ups in their ideas phase: a cache of the database."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app
        self._known: dict[str, _Known] = {}

    async def may_hold(self, community_key: str, channel_id: str, thread_id: str | None) -> bool:
        """Return whether a message may be written in a hold-up's space during its ideas."""
        known = self._of(community_key)
        if not known.loaded:
            await self.load(community_key)
        return known.holds(channel_id, thread_id)

    async def load(self, community_key: str) -> None:
        """Read a community's spaces once, if nobody has yet: a cheap no-op after."""
        known = self._of(community_key)
        if known.loaded:
            return
        async with known.lock:
            if not known.loaded:
                await self._read(community_key, known)

    async def reload(self, community_key: str) -> None:
        """Read a community's spaces again, keeping what this process notes meanwhile."""
        known = self._of(community_key)
        async with known.lock:
            await self._read(community_key, known)

    def opened(self, community_key: str, holdup: Holdup) -> None:
        """Note a hold-up whose space was just recorded (kept while it gathers ideas)."""
        space = space_key(holdup)
        if space is not None and holdup.status == "ideas":
            self._of(community_key).add(space)

    def closed(self, community_key: str, holdup: Holdup) -> None:
        """Note a hold-up that just left its ideas phase (an end is never undone)."""
        space = space_key(holdup)
        if space is not None:
            self._of(community_key).drop(space)

    def _of(self, community_key: str) -> _Known:
        known = self._known.get(community_key)
        if known is None:
            known = self._known[community_key] = _Known()
        return known

    async def _read(self, community_key: str, known: _Known) -> None:
        community_id = self._app.known_community_id(community_key)
        if community_id is None:
            return
        known.reloading()
        async with self._app.store.read() as uow:
            gathering = await uow.repository(Holdups).listed(community_id, ("ideas",))
        known.reset(space for holdup in gathering if (space := space_key(holdup)) is not None)
