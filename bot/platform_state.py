"""Platform adapters' kept state, in the database, behind the `PlatformState` port."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.ports import GatewaySession
from bot.storage import CommunityDirectory, Database

log = logging.getLogger(__name__)


class StoredPlatformState:
    """`PlatformState` in the database; `settle` waits for the interaction log's queue."""

    def __init__(
        self,
        database: Database,
        directory: CommunityDirectory,
        *,
        settle: Callable[[], Awaitable[None]],
    ) -> None:
        self._database = database
        self._directory = directory
        self._settle = settle

    async def settle(self) -> None:
        """Return once every event delivered so far is in the log (and handled)."""
        await self._settle()

    async def gateway_sessions(self, platform: str) -> Sequence[GatewaySession]:
        """Return the saved gateway sessions of `platform`'s shards."""
        async with self._database.read() as uow:
            return await uow.gateway_sessions.all(platform)

    async def save_gateway_sessions(
        self, platform: str, sessions: Sequence[GatewaySession]
    ) -> None:
        """Save shards' gateway sessions in one transaction."""
        async with self._database.transaction() as uow:
            await uow.gateway_sessions.save(platform, sessions)

    async def held_at_screening(
        self, communities: Sequence[str], *, limit: int
    ) -> Sequence[tuple[str, str]]:
        """Return (community, member id) of the `limit` latest members held, oldest first."""
        ids = {await self._directory.id_for(key): key for key in communities}
        async with self._database.read() as uow:
            held = await uow.screening.newest(list(ids), limit)
        return [(ids[community_id], member_id) for community_id, member_id in held]

    async def hold_at_screening(self, community: str, member_id: str) -> None:
        """Note a member held at screening."""
        community_id = await self._directory.id_for(community)
        async with self._database.transaction() as uow:
            await uow.screening.add(community_id, member_id)

    async def release_from_screening(self, community: str, member_ids: Sequence[str]) -> None:
        """Forget members who passed screening, left, or are no longer followed."""
        community_id = await self._directory.id_for(community)
        async with self._database.transaction() as uow:
            await uow.screening.remove(community_id, member_ids)
