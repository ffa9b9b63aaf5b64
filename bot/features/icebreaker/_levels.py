"""The daily snapshot of activity levels (kept per month) and of invitation outcomes."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.activity import month_of
from bot.features.icebreaker._config import IcebreakerConfig
from bot.features.icebreaker._outcomes import refresh_outcomes

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

SNAPSHOT_CRON = "20 3 * * *"
"""Every night at 03:20 in the community's timezone."""


def snapshot_job_id(community_key: str) -> str:
    """Return the scheduler and ledger id of a community's daily level snapshot."""
    return f"activity:{community_key}:levels"


async def snapshot_levels(app: FeatureContext, community_key: str, scheduled_for: datetime) -> None:
    """Record every member's level for the current month and settle invitation outcomes."""
    community = app.communities[community_key]
    job = snapshot_job_id(community_key)
    community_id = app.community_id(community_key)
    now = app.clock.now()
    async with app.store.transaction(fresh=True) as uow:
        if not await uow.ledger.claim(job, scheduled_for):
            return
        thresholds = community.section(IcebreakerConfig).levels.thresholds()
        levels = await uow.activity.levels(community_id, now.date(), thresholds)
        await uow.activity.record_month(community_id, month_of(now), levels)
        settled = await refresh_outcomes(uow, community_id, now)
        await uow.ledger.finish(job, scheduled_for, "done", f"{len(levels)} members")
    log.info(
        "%s: %d member levels recorded for %s, %d outcomes updated",
        job,
        len(levels),
        month_of(now).isoformat()[:7],
        settled,
    )
