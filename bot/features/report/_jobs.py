"""Scheduled report work: the weekly digest, and gentle nudges for unanswered questions."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.analytics import display_names, last_days, questions
from bot.domain import ChannelRef
from bot.features.report._config import ReportConfig
from bot.features.report._service import Reports
from bot.scheduling import Job, parse_cron

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

NUDGE_CRON = "5 * * * *"
"""Unanswered questions are looked for once an hour."""
NUDGE_LOOKBACK = timedelta(days=3)
"""Questions older than this (past the delay) are never nudged: no storm on first enable."""
NUDGES_PER_RUN = 3


def digest_job_id(community_key: str) -> str:
    """Return the scheduler and ledger id of a community's digest."""
    return f"report:digest:{community_key}"


def nudge_job_id(community_key: str) -> str:
    """Return the scheduler and ledger id of a community's unanswered-question nudges."""
    return f"report:nudges:{community_key}"


def nudge_nonce(community_key: str, message_id: str) -> str:
    """Return the outbox nonce of the one nudge a question may ever get."""
    return f"report:nudge:{community_key}:{message_id}"


class ReportJobs:
    """The digest and nudge jobs of every community that asks for them."""

    def __init__(self, app: FeatureContext, reports: Reports) -> None:
        self._app = app
        self._reports = reports

    def schedule_all(self) -> None:
        """Add a digest job and a nudge job where the community's config enables them."""
        for community in self._app.communities.values():
            settings = community.section(ReportConfig)
            if settings.digest_cron is not None:
                self._app.jobs.add(
                    Job(
                        id=digest_job_id(community.key),
                        community=community.key,
                        schedule=parse_cron(settings.digest_cron),
                        timezone=community.timezone,
                        grace=timedelta(hours=6),
                        run=functools.partial(self.run_digest, community.key),
                    )
                )
            if settings.nudge:
                self._app.jobs.add(
                    Job(
                        id=nudge_job_id(community.key),
                        community=community.key,
                        schedule=parse_cron(NUDGE_CRON),
                        timezone="UTC",
                        grace=timedelta(minutes=30),
                        run=functools.partial(self.run_nudges, community.key),
                    )
                )

    async def run_digest(self, community_key: str, scheduled_for: datetime) -> None:
        """Post the digest of the last complete days to the moderators, once per run."""
        community = self._app.communities[community_key]
        job = digest_job_id(community_key)
        async with self._app.store.read() as uow:
            if await uow.ledger.last_run(job) == scheduled_for:
                return
        period = last_days(
            community.section(ReportConfig).digest_days, scheduled_for.date(), include_today=False
        )
        stamp = f"{scheduled_for:%Y%m%dT%H%M%SZ}"
        report = await self._reports.build(community, period)
        post = await self._reports.digest(community, report, f"digest-{stamp}")
        where = self._app.channel(community_key, community.section(ReportConfig).channel)
        async with self._app.store.transaction() as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                return
            outbox_id = await self._app.delivery.enqueue(
                uow,
                community_id=self._app.community_id(community_key),
                where=where,
                post=post,
                nonce=f"{job}@{stamp}",
                job_id=job,
                scheduled_for=scheduled_for,
            )
            await uow.ledger.finish(job, scheduled_for, "done")
        await self._app.delivery.deliver(outbox_id)

    async def run_nudges(self, community_key: str, scheduled_for: datetime) -> None:
        """Nudge each channel where a recent question is still unanswered, once per question."""
        community = self._app.communities[community_key]
        job = nudge_job_id(community_key)
        delay = timedelta(hours=community.section(ReportConfig).unanswered_after_hours)
        now = self._app.clock.now()
        scope = self._reports.scope(community)
        queued: list[int] = []
        async with self._app.store.transaction(fresh=True) as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                return
            waiting = [
                q
                for q in await questions(uow, scope, now - delay - NUDGE_LOOKBACK, now)
                if q.answered_at is None and q.asked_at + delay <= now and q.channel_id
            ]
            names = await display_names(
                uow, scope.community_id, [q.member_id for q in waiting if q.member_id]
            )
            catalog = self._app.catalog(community_key)
            for question in waiting:
                if len(queued) == NUDGES_PER_RUN:
                    break
                nonce = nudge_nonce(community_key, question.message_id)
                if await uow.outbox.by_nonce(nonce) is not None:
                    continue
                waited = int((now - question.asked_at).total_seconds() // 3600)
                post = catalog.post(
                    "report.nudge.body",
                    member=names.get(question.member_id or "", question.member_id or "?"),
                    hours=waited,
                )
                queued.append(
                    await self._app.delivery.enqueue(
                        uow,
                        community_id=scope.community_id,
                        where=ChannelRef(
                            community=community_key, channel_id=str(question.channel_id)
                        ),
                        post=post,
                        nonce=nonce,
                        job_id=job,
                        scheduled_for=scheduled_for,
                    )
                )
            await uow.ledger.finish(job, scheduled_for, "done", f"{len(queued)} nudges")
        for outbox_id in queued:
            await self._app.delivery.deliver(outbox_id)
        if queued:
            log.info("%s: nudged %d unanswered questions", job, len(queued))
