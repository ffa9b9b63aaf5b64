"""Leaderboards by season, and the end-of-season post thanking the top and most improved."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from bot.features.games._config import GamesConfig
from bot.features.games._context import GameContext
from bot.features.games._seasons import Season, previous_season, season_at, season_cron
from bot.features.games._standings import ranked
from bot.scheduling import Job, parse_cron

log = logging.getLogger(__name__)

TOP = 3
SEASON_GRACE = timedelta(days=7)


def season_job_id(key: str) -> str:
    """Return the scheduler and ledger id of a community's season rollover."""
    return f"games:{key}:season"


class Leaderboards:
    """Season standings, and the rollover post when a season ends."""

    def __init__(self, context: GameContext) -> None:
        self._ctx = context

    def schedule_all(self) -> None:
        """Add one season rollover job per community with games on and a games channel."""
        app = self._ctx.app
        for key, community in app.communities.items():
            games = community.section(GamesConfig)
            if not games.enabled or games.channel is None:
                continue
            app.jobs.add(
                Job(
                    id=season_job_id(key),
                    community=key,
                    schedule=parse_cron(season_cron(games.season_months)),
                    timezone=community.timezone,
                    grace=SEASON_GRACE,
                    run=functools.partial(self.rollover, key),
                )
            )

    async def standings(
        self, key: str, season: Season | None, *, limit: int = 10
    ) -> list[dict[str, object]]:
        """Return the ranked rows of a season (all time when None)."""
        ctx = self._ctx
        async with ctx.app.store.read() as uow:
            lines = await uow.games.leaderboard(
                ctx.community_id(key), None if season is None else season.label, limit=limit
            )
        return ranked(lines)

    def current(self, key: str) -> Season:
        """Return the season now running in a community."""
        community = self._ctx.community(key)
        return season_at(
            self._ctx.clock_now, community.timezone, community.section(GamesConfig).season_months
        )

    async def rollover(self, key: str, scheduled_for: datetime) -> None:
        """Thank the ended season's top players and most improved, once (the ledger decides)."""
        ctx = self._ctx
        community = ctx.community(key)
        months = community.section(GamesConfig).season_months
        ended = season_at(scheduled_for - timedelta(seconds=1), community.timezone, months)
        before = previous_season(ended, community.timezone, months)
        job = season_job_id(key)
        community_id = ctx.community_id(key)
        channel = community.section(GamesConfig).channel
        assert channel is not None
        async with ctx.app.store.transaction() as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                return
            top = await uow.games.leaderboard(community_id, ended.label, limit=TOP)
            if not top:
                await uow.ledger.finish(job, scheduled_for, "skipped", "nobody scored")
                return
            now_points = await uow.games.season_totals(community_id, ended.label)
            then_points = await uow.games.season_totals(community_id, before.label)
            improved = _most_improved(now_points, then_points)
            names = {line.member_id: line.display_name for line in top}
            if improved is not None and improved[0] not in names:
                everyone = await uow.games.leaderboard(community_id, ended.label, limit=10_000)
                names.update({line.member_id: line.display_name for line in everyone})
            post = ctx.app.catalog(key).post(
                "games.season.ended",
                season=ended.label,
                top=ranked(top),
                improved=None if improved is None else names.get(improved[0]),
                gain=None if improved is None else improved[1],
                next_season=season_at(scheduled_for, community.timezone, months).label,
            )
            where = ctx.app.channel(key, channel)
            outbox_id = await ctx.queue(uow, key, where.channel_id, post, f"{job}@{ended.label}")
            await uow.ledger.finish(job, scheduled_for, "done")
        log.info("%s: season %s ended; posted the thanks", key, ended.label)
        await ctx.send([outbox_id])


def _most_improved(now: dict[str, int], then: dict[str, int]) -> tuple[str, int] | None:
    """Return the member whose points grew most over the season before (ties: by id)."""
    gains = sorted(
        ((points - then.get(member, 0), member) for member, points in now.items()),
        key=lambda item: (-item[0], item[1]),
    )
    if not gains or gains[0][0] <= 0 or not then:
        return None
    return gains[0][1], gains[0][0]
