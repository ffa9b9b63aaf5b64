"""The game timer: one job each minute closes what is due, from timestamps in the database.

Answer windows, poll closings and two-truths deadlines are stored instants, so
the timer needs no memory: after a restart, its first tick closes whatever came
due while Terreau was down, and the rounds go on from there.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.features.games._config import GamesConfig
from bot.features.games._context import GameContext
from bot.features.games._polls import Polls
from bot.features.games._trivia import Trivia
from bot.features.games._twotruths import TwoTruths
from bot.scheduling import Job, parse_cron
from bot.storage import InteractionRow

log = logging.getLogger(__name__)

TIMER_JOB = "games:timer"


class GameTimer:
    """Closes due questions, polls and two truths each minute."""

    def __init__(
        self, context: GameContext, trivia: Trivia, polls: Polls, twotruths: TwoTruths
    ) -> None:
        self._ctx = context
        self._trivia = trivia
        self._polls = polls
        self._twotruths = twotruths

    def schedule(self) -> None:
        """Add the minute job when at least one community has games on."""
        app = self._ctx.app
        if not any(
            community.section(GamesConfig).enabled for community in app.communities.values()
        ):
            return
        app.jobs.add(
            Job(
                id=TIMER_JOB,
                community="*",
                schedule=parse_cron("* * * * *"),
                timezone="UTC",
                grace=timedelta(minutes=5),
                run=self.tick,
            )
        )

    async def tick(self, scheduled_for: datetime) -> None:
        """Close everything due now (the stored state decides, so a repeat is harmless)."""
        del scheduled_for
        ctx = self._ctx
        keys = ctx.keys_by_id()
        if not keys:
            return
        if ctx.deadlines.loaded and not ctx.deadlines.due(ctx.clock_now):
            return
        await self._trivia.close_due(keys)
        await self.close_due_polls(keys)
        await ctx.reload_deadlines()

    async def close_due_polls(self, keys: dict[int, str]) -> None:
        """Close the polls and two truths whose time has come, and post their results."""
        ctx = self._ctx
        async with ctx.app.store.transaction() as uow:
            due = await uow.games.due_polls(list(keys), ctx.clock_now)
        for poll_id in due:
            rows: list[InteractionRow] = []
            async with ctx.app.store.transaction() as uow:
                poll = await uow.games.poll(poll_id)
                if poll is None or poll.community_id not in keys:
                    continue
                if not await uow.games.close_poll(poll_id, at=ctx.clock_now):
                    continue
                key = keys[poll.community_id]
                if poll.kind == "poll":
                    outgoing = await self._polls.close(uow, key, poll)
                else:
                    outgoing, rows = await self._twotruths.close(uow, key, poll)
            await ctx.send(outgoing)
            await ctx.log(rows)
            prefix = "p" if poll.kind == "poll" else "t"
            await ctx.retire_buttons(key, f"game:{prefix}{poll_id}:post")
