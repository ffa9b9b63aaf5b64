"""Timing advice for `terreau check`: read from what reports counted, never written."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.analytics import advise, counted_heatmap, last_days, place, silent_prompts
from bot.config import CommunityConfig
from bot.features.report._advice import resting_pools, scheduled_posts, suggestion_text
from bot.features.report._service import scope_for
from bot.prompts import Catalog
from bot.storage import Database

log = logging.getLogger(__name__)

ADVICE_DAYS = 90
"""How far back `terreau check` looks for its timing advice."""


async def timing_advice(
    catalog: Catalog, database: Database, community: CommunityConfig, now: datetime
) -> list[str]:
    """Return the timing suggestions for `community` over the last 90 days, read-only.

    Reads the hours reports have counted (the weekly digest or `terreau report`
    keep them up to date), so it adds nothing to the database: no suggestion until
    a report has counted enough history. Where rotations rest the prompts never
    answered, a last line names those they rest now.
    """
    async with database.read() as uow:
        community_id = await uow.communities.id_of(community.key)
        if community_id is None:
            return []
        scope = scope_for(community, community_id)
        period = last_days(ADVICE_DAYS, now.date(), include_today=False)
        hours = await counted_heatmap(uow, scope, period, now)
        rested = [
            f"{pool}/{item}"
            for pool in sorted(resting_pools(community))
            for item in sorted(await silent_prompts(uow, scope, now.date(), pool))
        ]
    placed = [place(item, community.timezone, now) for item in scheduled_posts(community)]
    lines = [suggestion_text(catalog, suggestion) for suggestion in advise(hours, placed)]
    if rested:
        lines.append(catalog.text("report.posts.rested", prompts=rested))
    return lines
