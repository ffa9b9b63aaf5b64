"""A hold-up's life: submitted, approved, announced with its thread, ideas, vote, outcome.

Nothing here trusts memory. Every move is a compare-and-set on the hold-up's
stored status, taken by whichever process, tick or command gets there first, and
every post goes through the outbox with a nonce naming the hold-up and the step,
queued in the transaction that moves the status. The phases follow the stored
timestamps: a tick every five minutes (the first at start-up) and every command
or click first move each hold-up to where its timestamps say, so a vote that
should have opened while Terreau was down opens when it comes back, and then
lasts its full length: a missed opening never shortens a phase.

The hold-up is approved first; its announcement and thread (`_thread`) are
platform calls outside any transaction, so a running hold-up without a thread
gets one at the next check. The one thing kept in memory is which spaces gather
ideas (`_spaces`), so that typed messages elsewhere cost no query: noted here when
a thread is recorded or a vote opens, and read again at each check.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.config import CommunityConfig
from bot.domain import Member, Mention
from bot.features._board import authors, entries, phase_jobs
from bot.features.holdup._config import HoldupConfig
from bot.features.holdup._rules import (
    BOARD_KIND,
    Refusal,
    mention,
    purge_job_id,
    queue,
    space_of,
    thanked,
    tick_job_id,
)
from bot.features.holdup._spaces import IdeaSpaces
from bot.features.holdup._thread import open_thread
from bot.features.holdup._voting import voting_post
from bot.features.privacy import PrivacyConfig
from bot.ports import PlatformError
from bot.storage.boards import Boards
from bot.storage.holdups import RUNNING, UNFINISHED, Holdup, Holdups

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

TICK = "*/5 * * * *"
"""How often stored deadlines are checked (commands and clicks also check on use)."""
PURGE = "23 4 * * *"
"""When hold-ups ended past the community's retention are deleted (daily)."""

LATE = timedelta(minutes=30)
"""A vote that opens later than this after its time gets its full length from now."""


class HoldupLife:
    """Submits, approves, opens, moves along and hands over every community's hold-ups."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app
        self.spaces = IdeaSpaces(app)
        """Where hold-ups gather ideas, kept for the typed messages (`_spaces`)."""

    def communities(self) -> list[CommunityConfig]:
        """Return the communities with hold-ups enabled."""
        return [c for c in self._app.communities.values() if c.section(HoldupConfig).enabled]

    def schedule_all(self) -> None:
        """Add each community's phase check and daily purge."""
        for community in self.communities():
            for job in phase_jobs(
                community.key,
                tick=(tick_job_id(community.key), TICK, self.run_tick),
                purge=(purge_job_id(community.key), PURGE, self.purge),
            ):
                self._app.jobs.add(job)

    async def run_tick(self, community_key: str, _scheduled_for: datetime) -> None:
        """Scheduler entry point of the phase check, which also reads the ideas' spaces again."""
        await self.spaces.reload(community_key)
        await self.advance(community_key)

    async def purge(self, community_key: str, _scheduled_for: datetime) -> None:
        """Delete the hold-ups (ideas and dots too) ended before the community's retention."""
        community = self._app.communities[community_key]
        retention = community.section(PrivacyConfig).retention_days
        before = self._app.clock.now() - timedelta(days=retention)
        community_id = self._app.community_id(community_key)
        async with self._app.store.transaction() as uow:
            gone = await uow.repository(Holdups).purge(community_id, before)
            boards = await uow.repository(Boards).purge(community_id, BOARD_KIND, before)
        if gone or boards:
            log.info("%s: %d hold-ups past retention deleted", community_key, gone)

    # Requests.

    async def submit(
        self, community: CommunityConfig, requester: Member, problem: str, context: str, wanted: str
    ) -> Holdup:
        """Store a problem; start it at once when the community approves automatically."""
        rules = community.section(HoldupConfig)
        community_id = self._app.community_id(community.key)
        channel = self._app.channel(community.key, rules.channel)
        outbox = None
        async with self._app.store.transaction() as uow:
            holdup = await uow.repository(Holdups).submit(
                community_id=community_id,
                requester_id=requester.id,
                problem=problem,
                context=context,
                wanted=wanted,
                dots=rules.dots,
                hide_authors=rules.hide_authors,
                anonymous=rules.anonymous,
                channel_id=channel.channel_id,
            )
            where = self._app.channel_if_configured(community.key, "moderators")
            if not rules.auto_approve and where is not None:
                post = self._app.catalog(community.key).post(
                    "holdup.posts.submitted",
                    requester=await mention(uow, community_id, requester.id),
                    holdup=holdup.id,
                    problem=problem,
                    context=context,
                    wanted=wanted,
                )
                outbox = await queue(self._app, uow, holdup, "submitted", post, where)
        if outbox is not None:
            await self._app.delivery.deliver(outbox)
        if rules.auto_approve:
            return await self.approve(community, holdup.id, by=None)
        return holdup

    async def approve(self, community: CommunityConfig, holdup_id: int, by: str | None) -> Holdup:
        """Start a waiting hold-up: its board, its phases, its announcement, its thread."""
        rules = community.section(HoldupConfig)
        community_id = self._app.community_id(community.key)
        now = self._app.clock.now()
        voting = now + timedelta(hours=rules.ideas_hours)
        closes = voting + timedelta(hours=rules.vote_hours)
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Holdups)
            holdup = await repo.get(community_id, holdup_id)
            if holdup is None or not await repo.move(
                holdup.id,
                "pending",
                "ideas",
                decided_at=now,
                decided_by=by,
                voting_opens_at=voting,
                closes_at=closes,
            ):
                raise Refusal("unknown", holdup=holdup_id)
            board = await uow.repository(Boards).open(
                community_id=community_id,
                kind=BOARD_KIND,
                title=holdup.problem,
                channel_id=holdup.channel_id,
                owner_id=holdup.requester_id,
                opens_at=now,
                closes_at=closes,
                status="collecting",
                budget=holdup.dots,
                per_item=holdup.dots,
            )
            await repo.set(holdup.id, board_id=board.id)
            started = await repo.get(community_id, holdup.id)
            assert started is not None
        log.info("%s: hold-up %d on %r started", community.key, holdup.id, holdup.problem)
        await open_thread(self._app, community, started, self.spaces)
        return started

    async def reject(self, community: CommunityConfig, holdup_id: int, by: str) -> Holdup:
        """Decline a waiting hold-up; nothing is posted about it."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Holdups)
            holdup = await repo.get(community_id, holdup_id)
            now = self._app.clock.now()
            if holdup is None or not await repo.move(
                holdup.id, "pending", "rejected", decided_at=now, decided_by=by
            ):
                raise Refusal("unknown", holdup=holdup_id)
        return holdup

    async def followup(
        self, community: CommunityConfig, holdup: Holdup, text: str, request_id: str
    ) -> None:
        """Post the requester's word on what became of the ideas in the hold-up's thread.

        Each follow-up is its own post, named by the command that asked for it
        (`request_id`), so a second one in the same second is posted too.
        """
        space = space_of(community.key, holdup)
        assert space is not None and holdup.board_id is not None
        now = self._app.clock.now()
        async with self._app.store.transaction() as uow:
            await uow.repository(Holdups).set_followup(holdup.id, text, now)
            authors = [i.author_id for i in await uow.repository(Boards).ranked(holdup.board_id)]
            post = self._app.catalog(community.key).post(
                "holdup.posts.followup",
                requester=await mention(uow, holdup.community_id, holdup.requester_id),
                problem=holdup.problem,
                text=text,
                contributors=[]
                if holdup.anonymous
                else await thanked(uow, holdup.community_id, authors),
            )
            outbox = await queue(self._app, uow, holdup, f"followup:{request_id}", post, space)
        await self._app.delivery.deliver(outbox)

    async def listed(
        self, community: CommunityConfig, member: Member, moderator: bool
    ) -> list[Holdup]:
        """Return the running hold-ups, and the waiting ones a member may see."""
        async with self._app.store.read() as uow:
            found = await uow.repository(Holdups).listed(
                self._app.community_id(community.key), UNFINISHED
            )
        return [h for h in found if h.status in RUNNING or moderator or h.requester_id == member.id]

    # Moving along stored timestamps.

    async def advance(self, community_key: str) -> None:
        """Open missing threads, open votes and hand over outcomes as timestamps say."""
        community = self._app.communities[community_key]
        if not community.section(HoldupConfig).enabled:
            return
        async with self._app.store.read(fresh=True) as uow:
            running = await uow.repository(Holdups).listed(
                self._app.community_id(community_key), RUNNING
            )
        for holdup in running:
            try:
                await self._step(community, holdup)
            except PlatformError as error:
                log.warning(
                    "%s: hold-up %d: %s; trying again later", community_key, holdup.id, error
                )

    async def _step(self, community: CommunityConfig, holdup: Holdup) -> None:
        if holdup.space_channel_id is None:
            await open_thread(self._app, community, holdup, self.spaces)
            holdup = await self._reload(holdup)
            if holdup.space_channel_id is None:
                return
        now = self._app.clock.now()
        assert holdup.voting_opens_at is not None and holdup.closes_at is not None
        if holdup.status == "ideas" and now >= holdup.voting_opens_at:
            await self._open_vote(community, holdup)
            self.spaces.closed(community.key, holdup)  # moved now, or by another process
            holdup = await self._reload(holdup)
        assert holdup.closes_at is not None
        if holdup.status == "voting" and now >= holdup.closes_at:
            await self._hand_over(community, holdup)

    async def _reload(self, holdup: Holdup) -> Holdup:
        async with self._app.store.read() as uow:
            found = await uow.repository(Holdups).get(holdup.community_id, holdup.id)
        assert found is not None
        return found

    async def _open_vote(self, community: CommunityConfig, holdup: Holdup) -> None:
        assert holdup.voting_opens_at is not None and holdup.closes_at is not None
        assert holdup.board_id is not None
        now = self._app.clock.now()
        closes = holdup.closes_at
        if now - holdup.voting_opens_at > LATE:
            closes = max(closes, now + (holdup.closes_at - holdup.voting_opens_at))
        space = space_of(community.key, holdup)
        assert space is not None
        catalog = self._app.catalog(community.key)
        async with self._app.store.transaction() as uow:
            boards = uow.repository(Boards)
            ideas = await boards.ranked(holdup.board_id)
            repo = uow.repository(Holdups)
            if not ideas:
                if not await repo.move(holdup.id, "ideas", "done", outcome_at=now):
                    return
                await boards.move(holdup.board_id, "collecting", "closed")
                post = catalog.post(
                    "holdup.posts.empty",
                    problem=holdup.problem,
                    requester=await mention(uow, holdup.community_id, holdup.requester_id),
                )
                outbox = await queue(self._app, uow, holdup, "empty", post, space)
            else:
                if not await repo.move(holdup.id, "ideas", "voting", closes_at=closes):
                    return
                await boards.move(holdup.board_id, "collecting", "voting", closes_at=closes)
                post = voting_post(
                    catalog,
                    holdup,
                    sorted(ideas, key=lambda i: i.number),
                    closes_at=closes,
                    timezone=community.timezone,
                )
                outbox = await queue(self._app, uow, holdup, "voting", post, space)
        await self._app.delivery.deliver(outbox)
        log.info(
            "%s: hold-up %d: %s", community.key, holdup.id, "vote open" if ideas else "no ideas"
        )

    async def _hand_over(self, community: CommunityConfig, holdup: Holdup) -> None:
        assert holdup.board_id is not None
        now = self._app.clock.now()
        space = space_of(community.key, holdup)
        assert space is not None
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Holdups)
            if not await repo.move(holdup.id, "voting", "done", outcome_at=now):
                return
            boards = uow.repository(Boards)
            await boards.move(holdup.board_id, "voting", "closed")
            ideas = await boards.ranked(holdup.board_id)
            named = await authors(uow, holdup.community_id, ideas)
            contributors = list(dict.fromkeys(i.author_id for i in ideas if i.author_id))
            post = self._app.catalog(community.key).post(
                "holdup.posts.outcome",
                requester=await mention(uow, holdup.community_id, holdup.requester_id),
                problem=holdup.problem,
                ideas=[
                    {**entry, "rank": rank, "author": _name(entry["author"])}
                    for rank, entry in enumerate(entries(ideas, named, reveal=False), 1)
                ],
                count=len(contributors),
                contributors=[]
                if holdup.anonymous
                else await thanked(uow, holdup.community_id, contributors),
            )
            outbox = await queue(self._app, uow, holdup, "outcome", post, space)
        await self._app.delivery.deliver(outbox)
        log.info(
            "%s: hold-up %d handed over: %d ideas from %d members",
            community.key,
            holdup.id,
            len(ideas),
            len(contributors),
        )


def _name(author: Mention | None) -> str | None:
    """Return the name an idea is credited with: shown, never a ping (the thanks ping)."""
    return None if author is None else author.display_name
