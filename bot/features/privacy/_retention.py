"""The daily purge: retention of the log, of message text and rollups; departed communities."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain import BotAdded, BotRemoved
from bot.features.privacy._config import PrivacyConfig
from bot.features.privacy._service import export_folder, export_time
from bot.scheduling import Job, parse_cron
from bot.storage import HANDLED_KEPT

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

PURGE_GRACE = timedelta(hours=23)
"""A purge missed while Terreau was down still runs when it comes back within a day."""


def job_id(community_key: str) -> str:
    """Return the deterministic scheduler and ledger id of a community's purge."""
    return f"privacy:{community_key}:purge"


class Retention:
    """Keeps each community's data within its configured retention."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    def schedule_all(self) -> None:
        """Add one daily purge job per community."""
        for community in self._app.communities.values():
            self._app.jobs.add(
                Job(
                    id=job_id(community.key),
                    community=community.key,
                    schedule=parse_cron(community.section(PrivacyConfig).purge_cron),
                    timezone=community.timezone,
                    grace=PURGE_GRACE,
                    run=functools.partial(self.run_scheduled, community.key),
                )
            )

    async def run_scheduled(self, community_key: str, scheduled_for: datetime) -> None:
        """Run one scheduled purge, at most once (the run ledger decides)."""
        job = job_id(community_key)
        async with self._app.store.transaction() as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                return
        counts = await self.purge(community_key)
        async with self._app.store.transaction() as uow:
            await uow.ledger.finish(job, scheduled_for, "done", _summary(counts))

    async def purge(self, community_key: str) -> dict[str, int]:
        """Delete what is past retention now; return what went, by kind."""
        config = self._app.communities[community_key].section(PrivacyConfig)
        community_id = self._app.community_id(community_key)
        now = self._app.clock.now()
        async with self._app.store.transaction(fresh=True) as uow:
            if await uow.privacy.departed_before(
                community_id, now - timedelta(days=config.departure_grace_days)
            ):
                counts = await uow.privacy.delete_community_data(community_id)
                await uow.privacy.audit(community_id, "community_deleted", {"rows": counts})
                log.warning(
                    "%s: Terreau was removed more than %d days ago; its data was deleted (%s)",
                    community_key,
                    config.departure_grace_days,
                    _summary(counts),
                )
                return counts
            counts = {
                "interactions": await uow.privacy.purge_log(
                    community_id, now - timedelta(days=config.retention_days)
                ),
                "sent_messages": await uow.privacy.purge_sent(
                    community_id, now - timedelta(days=config.retention_days)
                ),
                "content": await uow.privacy.blank_content(
                    community_id, now - timedelta(days=config.content_retention_days)
                ),
                "daily_activity": await uow.privacy.purge_rollups(
                    community_id, (now - timedelta(days=config.rollup_retention_days)).date()
                ),
            }
            counts["exports"] = await asyncio.to_thread(
                self._delete_old_exports,
                community_key,
                now - timedelta(hours=config.export_retention_hours),
            )
            if any(counts.values()):
                await uow.privacy.audit(community_id, "purge", {"rows": counts})
            # Not members' data (platform event ids only), so not in the audit's counts.
            await uow.deliveries.purge(community_id, now - HANDLED_KEPT)
        log.info("%s: purge done (%s)", community_key, _summary(counts))
        return counts

    async def bot_removed(self, event: BotRemoved) -> None:
        """Start the departure grace period: the data goes unless Terreau comes back."""
        community_id = self._app.known_community_id(event.community)
        if community_id is None:
            return
        async with self._app.store.transaction() as uow:
            await uow.communities.mark_left(community_id, at=event.occurred_at)
        grace = self._app.communities[event.community].section(PrivacyConfig).departure_grace_days
        log.warning(
            "%s: Terreau was removed; its data will be deleted in %d days unless it is added back",
            event.community,
            grace,
        )

    async def bot_added(self, event: BotAdded) -> None:
        """End a departure grace period: Terreau is back, the data stays."""
        community = self._app.communities.get(event.community)
        if community is None:
            return
        async with self._app.store.transaction() as uow:
            community_id = await uow.communities.ensure(
                community.key, community.platform, community.id, community.name
            )
            await uow.communities.mark_back(community_id)

    def _delete_old_exports(self, community_key: str, before: datetime) -> int:
        folder = export_folder(self._app.settings.export_dir, community_key)
        if not folder.is_dir():
            return 0
        deleted = 0
        for path in folder.glob("terreau-export-*.json"):
            made = export_time(path.name)
            if made is None or made >= before:
                continue
            try:
                path.unlink()
            except OSError as error:
                log.warning("cannot delete the old export %s: %s", path, error)
            else:
                deleted += 1
        return deleted


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {count}" for name, count in counts.items()) or "nothing"
