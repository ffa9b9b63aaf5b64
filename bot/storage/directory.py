"""Community key -> id, cached: the ingest hot path never queries per event."""

from __future__ import annotations

import asyncio
import logging

from bot.domain import Community
from bot.storage.database import Database

log = logging.getLogger(__name__)


class CommunityDirectory:
    """Maps `platform:id` keys to community ids, creating unknown communities once."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._ids: dict[str, int] = {}
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Cache every stored community (call once at start-up)."""
        async with self._database.read() as uow:
            self._ids.update(await uow.communities.ids())

    async def ensure(self, community: Community) -> int:
        """Store (or refresh the name of) a community and return its id."""
        async with self._database.transaction() as uow:
            community_id = await uow.communities.ensure(
                community.key, community.platform, community.id, community.name
            )
        self._ids[community.key] = community_id
        return community_id

    def cached(self, key: str) -> int | None:
        """Return the id of community `key` if it is already known, without waiting."""
        return self._ids.get(key)

    async def id_for(self, key: str) -> int:
        """Return the id of community `key`, storing it (named after its id) if unknown."""
        cached = self._ids.get(key)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._ids.get(key)
            if cached is not None:
                return cached
            platform, separator, platform_id = key.partition(":")
            if not separator or not platform or not platform_id:
                raise ValueError(f"community key {key!r} is not of the form platform:id")
            async with self._database.transaction() as uow:
                community_id = await uow.communities.id_of(key)
                if community_id is None:
                    log.info("first event from unknown community %s: storing it", key)
                    community_id = await uow.communities.ensure(
                        key, platform, platform_id, platform_id
                    )
            self._ids[key] = community_id
            return community_id
