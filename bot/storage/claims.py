"""The dispatcher's claims on command and click deliveries, kept in the database.

See `bot.storage._deliveries` for why a delivery is claimed and for how long.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain import Event
from bot.storage._deliveries import LEASE
from bot.storage.database import Database
from bot.storage.directory import CommunityDirectory

log = logging.getLogger(__name__)


class DeliveryClaims:
    """The dispatcher's claims on command and click deliveries, in the database."""

    def __init__(
        self, database: Database, directory: CommunityDirectory, *, lease: timedelta = LEASE
    ) -> None:
        self._database = database
        self._directory = directory
        self._lease = lease

    async def claim(self, event: Event) -> bool:
        """Claim `event`'s delivery; False when it is a redelivery to leave unanswered."""
        community_id = self._directory.cached(event.community)
        if community_id is None:
            return True  # not a configured community: no handler acts on it
        async with self._database.transaction() as uow:
            return await uow.deliveries.claim(community_id, event.event_id, lease=self._lease)

    async def finish(self, event: Event) -> None:
        """Record that every handler of `event` returned."""
        community_id = self._directory.cached(event.community)
        if community_id is None:
            return
        async with self._database.transaction() as uow:
            await uow.deliveries.finish(community_id, event.event_id)
