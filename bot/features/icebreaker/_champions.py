"""Champions: volunteers asked, by direct message, to answer someone's first post.

A newcomer's first message, a quiet member's return, or a ritual's post (read from the
outbox) queues a request; the ten-minute tick sends each to the champion asked least
recently, outside quiet hours, never more than `weekly_cap` a week to one champion.
Champions opted in themselves (`/terreau me champion on`); a closed DM inbox is logged
and skipped.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.config import CommunityConfig
from bot.domain import ChannelMention, MessagePosted
from bot.features.icebreaker._config import IcebreakerConfig
from bot.features.icebreaker._timing import in_quiet_hours
from bot.features.posts import job_id as ritual_job_id
from bot.ports import Forbidden, PlatformError
from bot.storage import ChampionRequest

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
RITUAL_LOOKBACK = timedelta(days=1)
"""Ritual posts older than this are left alone (the discussion has moved on)."""


class Champions:
    """Queues first posts worth answering and asks champions, within their weekly cap."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    def _enabled(self, community_key: str) -> CommunityConfig | None:
        community = self._app.communities.get(community_key)
        if community is None:
            return None
        config = community.section(IcebreakerConfig)
        return community if config.enabled and config.champions.enabled else None

    def serves(self, community_key: str) -> bool:
        """Return whether champions are asked in a community (its messages reach this)."""
        return self._enabled(community_key) is not None

    async def on_message(self, event: MessagePosted) -> None:
        """Queue a champion request when a newcomer or a quiet member posts again."""
        community = self._enabled(event.community)
        if community is None or event.member.is_bot:
            return
        community_id = self._app.community_id(community.key)
        thresholds = community.section(IcebreakerConfig).levels.thresholds()
        today = event.occurred_at.date()
        async with self._app.store.transaction() as uow:
            if not await uow.icebreaker.champions(community_id):
                return
            spoke, last = await uow.activity.spoke_before(community_id, event.member.id, today)
        if spoke and last is not None and (today - last).days < thresholds.quiet_after_days:
            return
        reason = "quiet_return" if spoke else "first_post"
        # a first post needs the member's join, which may still be queued for the log
        async with self._app.store.transaction(fresh=reason == "first_post") as uow:
            if reason == "first_post":
                member = await uow.members.get(community_id, event.member.id)
                # Seen before this message (joined, reacted): not merely new to Terreau.
                if member is None or member.first_seen_at >= event.occurred_at:
                    return
            since = event.occurred_at - timedelta(days=thresholds.quiet_after_days)
            if await uow.icebreaker.has_request_since(community_id, event.member.id, since):
                return
            await uow.icebreaker.add_request(
                community_id,
                subject_id=event.member.id,
                message_id=event.message_id,
                channel_id=event.channel_id,
                reason=reason,
            )
        log.info("champion request queued in %s: %s (%s)", community.key, event.member.id, reason)

    async def queue_rituals(self, community: CommunityConfig) -> int:
        """Queue a request to start the discussion of each ritual posted in the last day."""
        community_id = self._app.community_id(community.key)
        since = self._app.clock.now() - RITUAL_LOOKBACK
        queued = 0
        async with self._app.store.transaction() as uow:
            if not await uow.icebreaker.champions(community_id):
                return 0
            prefix = f"{ritual_job_id(community.key, '')}"
            for job, message_id, channel_id in await uow.icebreaker.ritual_posts(
                community_id, prefix, since
            ):
                queued += await uow.icebreaker.add_request(
                    community_id,
                    subject_id=job,
                    message_id=message_id,
                    channel_id=channel_id,
                    reason="ritual",
                )
        return queued

    async def send_pending(self, community: CommunityConfig) -> int:
        """Send pending requests to champions (none in quiet hours); return how many went."""
        now = self._app.clock.now()
        if in_quiet_hours(
            now, community.timezone, community.section(IcebreakerConfig).quiet_window()
        ):
            return 0
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            pending = await uow.icebreaker.requests(community_id, status="pending")
            if not pending:
                return 0
            champions = await uow.icebreaker.champions(community_id)
            closed = await uow.optouts.members(community_id, "dm")
            present = {m.member_id: m for m in await uow.members.present(community_id)}
            counts = await uow.icebreaker.sent_since(community_id, now - WEEK)
            last = await uow.icebreaker.last_sent(community_id)
        cap = community.section(IcebreakerConfig).champions.weekly_cap
        sent = 0
        for request in pending:
            able = [
                c
                for c in champions
                if c != request.subject_id
                and c not in closed
                and c in present
                and counts.get(c, 0) < cap
            ]
            able.sort(key=lambda c: (c in last, last.get(c, now), _tie(request, c)))
            champion = able[0] if able else None
            async with self._app.store.transaction() as uow:
                status = "sent" if champion else "no_champion"
                if not await uow.icebreaker.finish_request(
                    request.id, status=status, champion_id=champion
                ):
                    continue
            if champion is None:
                log.info("no champion free for %s in %s", request.subject_id, community.key)
                continue
            counts[champion] = counts.get(champion, 0) + 1
            last[champion] = now
            if await self._ask(community, request, champion):
                sent += 1
        return sent

    async def _ask(
        self, community: CommunityConfig, request: ChampionRequest, champion: str
    ) -> bool:
        catalog = self._app.catalog(community.key)
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            subject = await uow.members.get(community_id, request.subject_id)
        purpose = next(
            (p for p, c in community.channels.items() if c == request.channel_id),
            request.channel_id,
        )
        if request.reason == "ritual":
            name = request.subject_id.rsplit(":", 1)[-1]
        else:
            name = subject.display_name if subject else request.subject_id
        channel = ChannelMention(channel_id=request.channel_id, name=purpose)
        post = catalog.post(f"icebreaker.champion.{request.reason}", name=name, channel=channel)
        try:
            await self._app.platform(community.key).send_direct(community.key, champion, post)
        except Forbidden as error:
            log.info(
                "champion %s in %s does not accept DMs (%s); skipped",
                champion,
                community.key,
                error,
            )
            async with self._app.store.transaction() as uow:
                await uow.icebreaker.set_request_status(request.id, "dm_closed")
            return False
        except PlatformError as error:
            log.warning("could not DM champion %s in %s: %s", champion, community.key, error)
            return False
        log.info(
            "asked champion %s in %s to answer %s", champion, community.key, request.subject_id
        )
        return True


def _tie(request: ChampionRequest, champion: str) -> bytes:
    return hashlib.sha256(f"{request.id}\x00{champion}".encode()).digest()
