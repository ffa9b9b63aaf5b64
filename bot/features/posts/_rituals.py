"""Running a ritual: claim the run, pick fresh content, queue the post, send it."""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.analytics import silent_prompts
from bot.config import CommunityConfig
from bot.domain import ChannelRef, Mention
from bot.features.posts._config import PostsConfig, RitualConfig
from bot.features.report import scope_for
from bot.ports import Forbidden, NotFound
from bot.scheduling import Job, parse_cron
from bot.storage import UnitOfWork
from bot.storage.hosts import HostOffers

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)


def job_id(community_key: str, ritual: str) -> str:
    """Return the deterministic scheduler and ledger id of a ritual."""
    return f"posts:{community_key}:{ritual}"


@dataclass(frozen=True, kw_only=True, slots=True)
class RitualStatus:
    """A ritual as moderators see it in `/terreau posts list`."""

    ritual: RitualConfig
    next_run: datetime | None
    paused: bool
    reason: str | None


class Rituals:
    """Every community's rituals: scheduled runs, manual posts, pause and resume."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    def schedule_all(self) -> None:
        """Add one scheduler job per configured ritual."""
        for community in self._app.communities.values():
            for ritual in community.section(PostsConfig).schedules:
                self._app.jobs.add(
                    Job(
                        id=job_id(community.key, ritual.name),
                        community=community.key,
                        schedule=parse_cron(ritual.cron),
                        timezone=community.timezone,
                        grace=timedelta(minutes=ritual.grace_minutes),
                        run=functools.partial(self.run_scheduled, community.key, ritual.name),
                    )
                )

    def find(self, community: CommunityConfig, name: str) -> RitualConfig | None:
        """Return the ritual called `name` in `community`, if any."""
        return next((r for r in community.section(PostsConfig).schedules if r.name == name), None)

    async def statuses(self, community: CommunityConfig) -> list[RitualStatus]:
        """Return each ritual of `community` with its next run and pause state."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            states = {state.name: state for state in await uow.rituals.all(community_id)}
        result = []
        for ritual in community.section(PostsConfig).schedules:
            state = states.get(ritual.name)
            paused = state is not None and state.paused
            upcoming = self._app.jobs.next_runs(job_id(community.key, ritual.name), 1)
            result.append(
                RitualStatus(
                    ritual=ritual,
                    next_run=None if paused or not upcoming else upcoming[0],
                    paused=paused,
                    reason=state.paused_reason if state is not None and paused else None,
                )
            )
        return result

    async def run_scheduled(self, community_key: str, name: str, scheduled_for: datetime) -> None:
        """Run one scheduled occurrence, at most once ever (the run ledger decides)."""
        community = self._app.communities[community_key]
        ritual = self.find(community, name)
        if ritual is None:
            return
        job = job_id(community_key, name)
        community_id = self._app.community_id(community_key)
        async with self._app.store.transaction() as uow:
            state = await uow.rituals.get(community_id, name)
        if state is not None and state.paused:
            async with self._app.store.transaction() as uow:
                if await uow.ledger.claim(job, scheduled_for):
                    await uow.ledger.finish(job, scheduled_for, "skipped", "paused")
            log.info("%s: paused (%s), run at %s skipped", job, state.paused_reason, scheduled_for)
            return
        resumed_at = state.updated_at if state is not None else None
        silent = await self._silent_posts(community_id, job, community, resumed_at)
        if silent is not None:
            await self._pause_dead_channel(community, ritual, scheduled_for, silent)
            return
        nonce = f"{job}@{scheduled_for:%Y%m%dT%H%M%SZ}"
        async with self._app.store.transaction() as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                queued = await uow.outbox.by_nonce(nonce)
                if queued is None or queued.status != "pending":
                    log.debug("%s at %s already ran", job, scheduled_for)
                    return
                # Claimed and queued by a run whose send is not recorded: another process
                # may be sending it now, or its process died. The outbox lease tells them
                # apart: `attempt` sends only a row no live process holds, and asks the
                # platform first when an earlier send was started.
                outbox_id = queued.id
            else:
                outbox_id = await self._queue_post(
                    uow, community, ritual, nonce=nonce, scheduled_for=scheduled_for
                )
                await uow.ledger.finish(job, scheduled_for, "done")
        outcome = await self._app.delivery.attempt(outbox_id)
        if isinstance(outcome, Forbidden | NotFound):
            await self._tell_refused(community, ritual, scheduled_for, outcome)

    async def post_now(self, community: CommunityConfig, ritual: RitualConfig, nonce: str) -> bool:
        """Post the ritual's next content at once (a moderator asked); False if it failed."""
        async with self._app.store.transaction() as uow:
            outbox_id = await self._queue_post(uow, community, ritual, nonce=nonce)
        return await self._app.delivery.deliver(outbox_id) is not None

    async def set_paused(
        self, community: CommunityConfig, ritual: RitualConfig, paused: bool, by: str | None
    ) -> bool:
        """Pause or resume a ritual; return False when it was already in that state."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            state = await uow.rituals.get(community_id, ritual.name)
            if (state is not None and state.paused) == paused:
                return False
            await uow.rituals.set_paused(
                community_id,
                ritual.name,
                paused=paused,
                reason="moderator" if paused else None,
                by=by,
                at=self._app.clock.now(),
            )
        log.info(
            "%s %s by %s", job_id(community.key, ritual.name), "paused" if paused else "resumed", by
        )
        return True

    async def _queue_post(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        ritual: RitualConfig,
        *,
        nonce: str,
        scheduled_for: datetime | None = None,
    ) -> int:
        catalog = self._app.catalog(community.key)
        pool = catalog.pool(ritual.pool)
        job = job_id(community.key, ritual.name)
        community_id = self._app.community_id(community.key)
        rest: set[str] = set()
        if community.section(PostsConfig).rest_silent_prompts:
            scope = scope_for(community, community_id)
            today = self._app.clock.now().date()
            rest = await silent_prompts(uow, scope, today, pool.name)
            if rest:
                log.info("%s: rests the prompts never answered: %s", job, ", ".join(sorted(rest)))
        item_id = await uow.rotation.pick(
            community_id,
            pool.name,
            [item.id for item in pool.items],
            seed=job,
            at=self._app.clock.now(),
            rest=rest,
        )
        post = catalog.render_item(pool.name, item_id)
        host = await uow.repository(HostOffers).take(community_id, "ritual", ritual.name, ref=nonce)
        if host is not None:
            member = await uow.members.get(community_id, host.member_id)
            name = member.display_name if member is not None else host.member_id
            credit = catalog.post(
                "messages.posts.hosted_by",
                host=Mention(member_id=host.member_id, display_name=name),
                topic=host.topic,
            )
            post = post.followed_by(credit)
            log.info("%s: hosted by %s (offer %d)", job, host.member_id, host.id)
        if ritual.thread:
            local = self._app.clock.now().astimezone(ZoneInfo(community.timezone))
            title = catalog.text(
                "messages.posts.thread_title",
                title=catalog.text_of_title(pool.name),
                date=local.date(),
            )
            post = dataclasses.replace(post, thread_title=title)
        where = self._app.channel(community.key, ritual.channel)
        return await self._app.delivery.enqueue(
            uow,
            community_id=community_id,
            where=where,
            post=post,
            nonce=nonce,
            job_id=job,
            scheduled_for=scheduled_for,
            content=(pool.name, item_id),
        )

    async def _silent_posts(
        self, community_id: int, job: str, community: CommunityConfig, since: datetime | None
    ) -> int | None:
        """Return N when the last N posts (N = dead_channel_after) all drew no reply."""
        limit = community.section(PostsConfig).dead_channel_after
        if limit <= 0:
            return None
        async with self._app.store.transaction(fresh=True) as uow:
            recent = [
                row
                for row in await uow.outbox.recent_for_job(job, limit)
                if since is None or (row.sent_at is not None and row.sent_at > since)
            ]
            if len(recent) < limit:
                return None
            until = self._app.clock.now()
            for row in recent:
                if row.sent_at is None or row.message_id is None:
                    continue
                responses = await uow.interactions.count_responses(
                    community_id,
                    channel_id=row.channel_id,
                    message_id=row.message_id,
                    thread_id=row.sent_thread_id,
                    since=row.sent_at,
                    until=until,
                )
                if responses:
                    return None
                until = row.sent_at
        return limit

    async def _tell_refused(
        self,
        community: CommunityConfig,
        ritual: RitualConfig,
        scheduled_for: datetime,
        error: Forbidden | NotFound,
    ) -> None:
        """Pause a ritual whose channel refused its post and tell the moderators.

        Retrying cannot help until someone gives Terreau the permission or moves the
        ritual, so the ritual waits for a moderator's `/terreau posts resume` rather
        than failing (and notifying) again every run.
        """
        job = job_id(community.key, ritual.name)
        moderators = self._app.channel_if_configured(community.key, "moderators")
        log.warning(
            "%s: the platform refused the post of %s (%s); the ritual is paused until a "
            "moderator resumes it%s",
            job,
            scheduled_for.isoformat(),
            error,
            "" if moderators else "; no moderators channel configured to tell",
        )
        tell = moderators is not None and moderators != self._app.channel(
            community.key, ritual.channel
        )
        async with self._app.store.transaction() as uow:
            outbox_id = await self._pause_itself(
                uow,
                community,
                ritual,
                scheduled_for,
                "refused",
                tell=moderators if tell else None,
                reason="forbidden" if isinstance(error, Forbidden) else "not_found",
            )
        if outbox_id is not None:
            await self._app.delivery.deliver(outbox_id)

    async def _pause_itself(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        ritual: RitualConfig,
        scheduled_for: datetime,
        why: str,
        *,
        tell: ChannelRef | None,
        **variables: object,
    ) -> int | None:
        """Pause a ritual for `why` and queue `messages.posts.<why>` to `tell`, if any.

        Returns the notice's outbox id, to deliver once the transaction commits.
        """
        await uow.rituals.set_paused(
            self._app.community_id(community.key),
            ritual.name,
            paused=True,
            reason=why,
            by=None,
            at=self._app.clock.now(),
        )
        if tell is None:
            return None
        notice = self._app.catalog(community.key).post(
            f"messages.posts.{why}",
            ritual=ritual.name,
            channel=self._app.channel_mention(community.key, ritual.channel),
            **variables,
        )
        job = job_id(community.key, ritual.name)
        return await self._app.delivery.enqueue(
            uow,
            community_id=self._app.community_id(community.key),
            where=tell,
            post=notice,
            nonce=f"{job}@{scheduled_for:%Y%m%dT%H%M%SZ}:{why}",
            scheduled_for=scheduled_for,
        )

    async def _pause_dead_channel(
        self,
        community: CommunityConfig,
        ritual: RitualConfig,
        scheduled_for: datetime,
        silent: int,
    ) -> None:
        job = job_id(community.key, ritual.name)
        moderators = self._app.channel_if_configured(community.key, "moderators")
        async with self._app.store.transaction() as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                return
            await uow.ledger.finish(job, scheduled_for, "skipped", "dead channel")
            outbox_id = await self._pause_itself(
                uow, community, ritual, scheduled_for, "dead_channel", tell=moderators, count=silent
            )
        log.warning(
            "%s paused itself: its last %d posts drew no reply%s",
            job,
            silent,
            "" if moderators else " (no moderators channel configured to tell)",
        )
        if outbox_id is not None:
            await self._app.delivery.deliver(outbox_id)
