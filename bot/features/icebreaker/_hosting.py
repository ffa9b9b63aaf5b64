"""Inviting members to host: what could be hosted, suggestions to moderators, one offer.

Terreau never offers on its own: it suggests to moderators, and a moderator sends
each offer. The offer is a direct message with Accept and No thanks buttons, stored
before it is sent, and recorded as an icebreaker contact, so it counts for the
cool-down of icebreakers as their invitations count for it. An offer left
unanswered for `answer_days` expires; declined or expired, it rests the member for
the icebreakers' `pause_days`. Accepting a ritual makes the member the host of its
next post (the posts feature credits them, see `bot.storage.hosts.HostOffers.take`);
accepting a group makes them its host at once, and accepting a live session makes
them one of its hosts at once (`_host_answers`); the session counts as hosted once it
ran with them (the live feature credits them when it ends).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot import commands
from bot.activity import Level
from bot.config import CommunityConfig
from bot.domain import ChannelMention, Choice, Post
from bot.features.groups import GroupsConfig
from bot.features.icebreaker._config import IcebreakerConfig
from bot.features.icebreaker._hosts import (
    PastOffer,
    Suggestion,
    Target,
    eligibility,
    find_target,
    group_topics,
    shared_topic,
    suggest,
    title_topics,
)
from bot.features.icebreaker._invitations import rules_of
from bot.features.icebreaker._selection import Candidate, Contact
from bot.features.icebreaker._timing import in_quiet_hours
from bot.features.live import LiveConfig
from bot.features.posts import PostsConfig
from bot.features.posts import job_id as ritual_job_id
from bot.features.privacy import PrivacyConfig
from bot.ports import Forbidden, PlatformError
from bot.storage import UnitOfWork
from bot.storage.boards import Boards
from bot.storage.groups import Groups
from bot.storage.hosts import HostOffer, HostOffers
from bot.storage.live import KIND as LIVE_KIND
from bot.storage.live import LiveSessions

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
REASONS = frozenset({"opted_out", "no_dm", "cooldown", "paused", "pending", "declined"})
"""Why a member cannot be offered now, each with its `icebreaker.hosts.refuse.` prompt."""
_LEVELS = {level.value: level for level in Level}


def live_channel(community: CommunityConfig, channel_id: str) -> ChannelMention:
    """Return the channel a live session is held in, named by its purpose."""
    purpose = next((p for p, c in community.channels.items() if c == channel_id), channel_id)
    return ChannelMention(channel_id=channel_id, name=purpose)


class HostRefusal(commands.Refusal):
    """An offer refused, with the prompt key (under `icebreaker.hosts.refuse.`) saying why."""

    prefix = "icebreaker.hosts.refuse."


def choice_id(offer_id: int, answer: str) -> str:
    """Return the id of an offer's Accept (`accept`) or No thanks (`decline`) button."""
    return f"icebreaker:host:{offer_id}:{answer}"


def hosts_enabled(community: CommunityConfig) -> bool:
    """Return whether moderators may invite members to host in `community`."""
    config = community.section(IcebreakerConfig)
    return config.enabled and config.hosts.enabled


async def expire_offers(app: FeatureContext, uow: UnitOfWork, community: CommunityConfig) -> None:
    """Expire the community's offers left unanswered for `hosts.answer_days`."""
    days = community.section(IcebreakerConfig).hosts.answer_days
    expired = await uow.repository(HostOffers).expire(
        app.community_id(community.key), app.clock.now() - timedelta(days=days)
    )
    for offer in expired:
        log.info("offer %d in %s expired unanswered", offer.id, community.key)


@dataclass(frozen=True, kw_only=True, slots=True)
class Offered:
    """An offer sent: to whom, to host what, on which interest."""

    offer: HostOffer
    name: str
    target: Target


class Hosting:
    """Suggests hosts to moderators, sends their offers, and records the answers."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    # What could be hosted.

    async def targets(self, uow: UnitOfWork, community: CommunityConfig) -> list[Target]:
        """Return what could be hosted, none with a host waiting.

        That is the rituals with a next post, the open groups, and the live sessions
        scheduled and not started yet.
        """
        community_id = self._app.community_id(community.key)
        offers = uow.repository(HostOffers)
        catalog = self._app.catalog(community.key)
        channel_tags = community.section(IcebreakerConfig).channel_tags
        paused = {s.name for s in await uow.rituals.all(community_id) if s.paused}
        found: list[Target] = []
        for ritual in community.section(PostsConfig).schedules:
            upcoming = self._app.jobs.next_runs(ritual_job_id(community.key, ritual.name), 1)
            if ritual.name in paused or not upcoming:
                continue
            if await offers.waiting(community_id, "ritual", ritual.name):
                continue
            tags = {tag for item in catalog.pool(ritual.pool).items for tag in item.tags}
            tags.update(channel_tags.get(ritual.channel, ()))
            found.append(
                Target(
                    kind="ritual",
                    id=ritual.name,
                    name=ritual.name,
                    topics=frozenset(tags),
                    due=upcoming[0],
                )
            )
        if community.section(GroupsConfig).enabled:
            hosted = await offers.hosts(community_id, "group")
            for group in await uow.repository(Groups).live(community_id):
                if group.status == "open" and str(group.id) not in hosted:
                    found.append(
                        Target(
                            kind="group",
                            id=str(group.id),
                            name=group.topic,
                            topics=group_topics(group.topic_key),
                        )
                    )
        if community.section(LiveConfig).enabled:
            now = self._app.clock.now()
            lives = uow.repository(LiveSessions)
            for board in await uow.repository(Boards).of_kind(
                community_id, LIVE_KIND, ("scheduled",)
            ):
                if board.opens_at <= now or await offers.waiting(
                    community_id, "live", str(board.id)
                ):
                    continue
                found.append(
                    Target(
                        kind="live",
                        id=str(board.id),
                        name=board.title,
                        topics=title_topics(board.title),
                        due=board.opens_at,
                        hosts=frozenset(await lives.attendees(board.id, "host")),
                        channel_id=board.channel_id,
                    )
                )
        return found

    # Suggestions and offers.

    async def suggestions(self, community: CommunityConfig) -> tuple[list[Suggestion], int]:
        """Return who moderators could invite to host what, and how many targets there are."""
        config = community.section(IcebreakerConfig)
        async with self._app.store.transaction(fresh=True) as uow:
            await self._expire(uow, community)
            targets = await self.targets(uow, community)
            if not targets:
                return [], 0
            # Only members who declared interests can match: the rules read their history only.
            interests = await uow.icebreaker.interests(self._app.community_id(community.key))
            levels = [_LEVELS[level] for level in config.hosts.levels]
            standings = [
                c
                for c in await self._standings(uow, community)
                if c.member_id in interests and c.level in levels
            ]
            eligible, _ = await self._eligibility(uow, community, standings, levels=levels)
        chosen = suggest(eligible, interests, targets, limit=config.hosts.suggestions)
        return chosen, len(targets)

    async def offer(
        self, community: CommunityConfig, by: str, member_id: str, reference: str
    ) -> Offered:
        """Send one offer to host (refused with a `HostRefusal` saying why)."""
        config = community.section(IcebreakerConfig)
        now = self._app.clock.now()
        if in_quiet_hours(now, community.timezone, config.quiet_window()):
            raise HostRefusal("quiet_hours", hours=config.quiet_hours)
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction(fresh=True) as uow:
            await self._expire(uow, community)
            targets = await self.targets(uow, community)
            target = find_target(targets, reference)
            if target is None:
                raise HostRefusal("unknown_target", reference=reference)
            standings = [
                c for c in await self._standings(uow, community) if c.member_id == member_id
            ]
            if not standings:
                raise HostRefusal("unknown_member")
            [candidate] = standings
            if member_id in target.hosts:
                raise HostRefusal("already_host", name=candidate.display_name)
            offers = uow.repository(HostOffers)
            if await offers.sent_since(community_id, now - WEEK) >= config.hosts.weekly_cap:
                raise HostRefusal("cap", cap=config.hosts.weekly_cap)
            eligible, excluded = await self._eligibility(uow, community, standings, levels=None)
            if not eligible:
                reason = excluded.get(member_id)
                if reason not in REASONS:
                    raise HostRefusal("unknown_member")
                raise HostRefusal(reason, name=candidate.display_name)
            declared = (await uow.icebreaker.interests(community_id, [member_id])).get(
                member_id, frozenset()
            )
            topic = shared_topic(declared, target) or ""
            offer = await offers.offer(
                community_id,
                member_id,
                target_kind=target.kind,
                target_id=target.id,
                topic=topic,
                level=candidate.level.value,
                offered_by=by,
            )
            await uow.icebreaker.record(
                community_id,
                member_id,
                kind="host_offer",
                nonce=f"host:{offer.id}",
                prompt=f"{target.kind}:{target.id}",
                level=candidate.level.value,
            )
        post = self._offer_post(community, offer, target, candidate.display_name)
        try:
            await self._app.platform(community.key).send_direct(community.key, member_id, post)
        except PlatformError as error:
            log.info("offer %d to %s in %s not sent: %s", offer.id, member_id, community.key, error)
            async with self._app.store.transaction() as uow:
                await uow.repository(HostOffers).answer(offer.id, "expired")
            raise HostRefusal(
                "dm_closed" if isinstance(error, Forbidden) else "not_sent",
                name=candidate.display_name,
            ) from error
        log.info(
            "offer %d in %s: %s invited by %s to host %s %s",
            offer.id,
            community.key,
            member_id,
            by,
            target.kind,
            target.id,
        )
        return Offered(offer=offer, name=candidate.display_name, target=target)

    def _offer_post(
        self, community: CommunityConfig, offer: HostOffer, target: Target, name: str
    ) -> Post:
        catalog = self._app.catalog(community.key)
        variables: dict[str, object] = {"name": name, "topic": offer.topic, "target": target.name}
        if target.kind == "ritual":
            ritual = next(
                r for r in community.section(PostsConfig).schedules if r.name == target.id
            )
            variables["channel"] = self._app.channel_mention(community.key, ritual.channel)
            variables["due"] = target.due
            variables["timezone"] = community.timezone
        elif target.kind == "live" and target.channel_id is not None:
            variables["channel"] = live_channel(community, target.channel_id)
            variables["due"] = target.due
            variables["timezone"] = community.timezone
        text = catalog.post(f"icebreaker.hosts.offer.{target.kind}", **variables)
        buttons = (
            Choice(id=choice_id(offer.id, "accept"), label=catalog.text("icebreaker.hosts.accept")),
            Choice(
                id=choice_id(offer.id, "decline"), label=catalog.text("icebreaker.hosts.decline")
            ),
        )
        return Post(text=text.text, mentions=text.mentions, channels=text.channels, choices=buttons)

    # Upkeep.

    async def upkeep(self, community: CommunityConfig) -> None:
        """Expire offers left unanswered, and delete answered offers past retention."""
        retention = community.section(PrivacyConfig).retention_days
        before = self._app.clock.now() - timedelta(days=retention)
        async with self._app.store.transaction() as uow:
            await self._expire(uow, community)
            gone = await uow.repository(HostOffers).purge_before(
                self._app.community_id(community.key), before
            )
        if gone:
            log.info("hosts in %s: %d offers past retention deleted", community.key, gone)

    async def _expire(self, uow: UnitOfWork, community: CommunityConfig) -> None:
        await expire_offers(self._app, uow, community)

    async def _standings(self, uow: UnitOfWork, community: CommunityConfig) -> list[Candidate]:
        now = self._app.clock.now()
        thresholds = community.section(IcebreakerConfig).levels.thresholds()
        return [
            Candidate(member_id=member, display_name=name, level=level, order=key)
            for member, name, level, key in await uow.activity.standings(
                self._app.community_id(community.key), now.date(), thresholds
            )
        ]

    async def _eligibility(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        candidates: list[Candidate],
        *,
        levels: list[Level] | None,
    ) -> tuple[list[Candidate], dict[str, str]]:
        community_id = self._app.community_id(community.key)
        members = [c.member_id for c in candidates]
        history: dict[str, list[Contact]] = {}
        for member, kind, sent_at, responded_at in await uow.icebreaker.contacts_of(
            community_id, members
        ):
            history.setdefault(member, []).append(
                Contact(kind=kind, sent_at=sent_at, responded_at=responded_at)
            )
        offers: dict[str, list[PastOffer]] = {}
        for offer in await uow.repository(HostOffers).of_members(community_id, members):
            offers.setdefault(offer.member_id, []).append(
                PastOffer(
                    status=offer.status, offered_at=offer.offered_at, answered_at=offer.answered_at
                )
            )
        return eligibility(
            candidates,
            history,
            offers,
            rules=rules_of(community),
            levels=levels,
            now=self._app.clock.now(),
            opted_out=await uow.optouts.members(community_id, "tagging"),
            dm_closed=await uow.optouts.members(community_id, "dm"),
        )
