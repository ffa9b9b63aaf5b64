"""A live session's life: scheduled and announced, reminded, open, then summed up.

Nothing here trusts memory. A session is a board (kind `live`) whose status moves
by compare-and-set along its stored times: `scheduled` until `opens_at`, `open`
until `closes_at`, then `closed` with its summary queued in the outbox in the same
transaction. A tick every minute (the first at start-up) and every command move
each session along, so a start or an end that fell while Terreau was down happens
when it comes back, once, whichever process gets there first. Reminders are
claimed by a compare-and-set before they are sent: a crash right after the claim
loses them rather than sending them twice. Configured schedules create their
session `announce_hours` ahead, claimed in the run ledger for that start.

A member who accepted a moderator's offer to host a session (`bot.storage.hosts`,
kind `live`) is one of its hosts: its start post credits them, they are told
privately when it starts, and the offer counts as hosted once the session ran (an
offer on a session cancelled, or ended without them, lapses).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import commands
from bot.config import CommunityConfig
from bot.domain import ChannelMention, ChannelRef, Choice, Post, ScheduledEvent
from bot.features._board import authors, entries, mentions, phase_jobs
from bot.features.live._config import LiveConfig, LiveScheduleConfig
from bot.features.privacy import PrivacyConfig
from bot.ports import Forbidden, NotFound, PlatformError, Unsupported
from bot.scheduling import next_fire_times, parse_cron
from bot.storage import UnitOfWork
from bot.storage.boards import Board, Boards
from bot.storage.hosts import HostOffers
from bot.storage.live import KIND, LiveSessions

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

TICK = "* * * * *"
"""Starts, ends and reminders are checked every minute (and before every command)."""
PURGE = "50 3 * * *"
UPCOMING = ("scheduled", "open")


class Refusal(commands.Refusal):
    """A request refused, with the prompt key (under `live.refuse.`) saying why."""

    prefix = "live.refuse."


def tick_job_id(community_key: str) -> str:
    """Return the scheduler id of a community's minute check."""
    return f"live:{community_key}:tick"


def purge_job_id(community_key: str) -> str:
    """Return the scheduler id of a community's daily purge of old sessions."""
    return f"live:{community_key}:purge"


def schedule_ledger_id(community_key: str, name: str) -> str:
    """Return the run-ledger id of a configured schedule (claimed once per start)."""
    return f"live:{community_key}:schedule:{name}"


def interested_id(board_id: int) -> str:
    """Return the choice id of a session's "I'm interested" button."""
    return f"live:{board_id}:interested"


class Sessions:
    """Schedules, announces, opens, reminds and closes the live sessions of every community."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    def communities(self) -> list[CommunityConfig]:
        """Return the communities with live sessions enabled."""
        return [c for c in self._app.communities.values() if c.section(LiveConfig).enabled]

    def schedule_all(self) -> None:
        """Add each community's minute check and daily purge."""
        for community in self.communities():
            for job in phase_jobs(
                community.key,
                tick=(tick_job_id(community.key), TICK, self.run_tick),
                purge=(purge_job_id(community.key), PURGE, self.purge),
            ):
                self._app.jobs.add(job)

    async def run_tick(self, community_key: str, _scheduled_for: datetime) -> None:
        """Scheduler entry point of the check: configured sessions, then every session's phase."""
        await self.plan(community_key)
        await self.advance(community_key)

    # Scheduling.

    async def schedule(
        self,
        community: CommunityConfig,
        *,
        title: str,
        starts_at: datetime,
        minutes: int,
        hosts: Sequence[str],
        purpose: str,
        schedule: LiveScheduleConfig | None = None,
    ) -> Board | None:
        """Store a session, announce it with its interest button, list it on the calendar.

        A configured schedule's session is claimed in the run ledger for its start,
        so it is created once; None when it already was.
        """
        rules = community.section(LiveConfig)
        community_id = self._app.community_id(community.key)
        channel = self._app.channel(community.key, purpose)
        ends_at = starts_at + timedelta(minutes=minutes)
        async with self._app.store.transaction() as uow:
            if schedule is not None:
                ledger = schedule_ledger_id(community.key, schedule.name)
                if not await uow.ledger.claim(ledger, starts_at):
                    return None
                await uow.ledger.finish(ledger, starts_at, "done")
            board = await uow.repository(Boards).open(
                community_id=community_id,
                kind=KIND,
                title=title,
                channel_id=channel.channel_id,
                thread_id=channel.thread_id,
                owner_id=hosts[0],
                opens_at=starts_at,
                closes_at=ends_at,
            )
            await uow.repository(LiveSessions).add(
                board.id, community_id, list(hosts), None if schedule is None else schedule.name
            )
            catalog = self._app.catalog(community.key)
            post = catalog.post(
                "live.posts.announced",
                title=title,
                session=board.id,
                hosts=list((await mentions(uow, community_id, hosts)).values()),
                starts_at=starts_at,
                minutes=minutes,
                timezone=community.timezone,
                anonymous=rules.anonymous,
            )
            label = catalog.text("live.interested_label")
            post = dataclasses.replace(
                post, choices=(Choice(id=interested_id(board.id), label=label),)
            )
            outbox = await self._queue(uow, community.key, board, "announced", post)
        sent = await self._app.delivery.deliver(outbox)
        if sent is not None:
            async with self._app.store.transaction() as uow:
                await uow.repository(Boards).set(board.id, message_id=sent.message_id)
        await self._list_on_calendar(community, board)
        log.info(
            "%s: live session %d %r scheduled for %s", community.key, board.id, title, starts_at
        )
        return board

    async def _list_on_calendar(self, community: CommunityConfig, board: Board) -> None:
        """Create the platform's scheduled event; a platform without one is no failure."""
        rules = community.section(LiveConfig)
        catalog = self._app.catalog(community.key)
        voice = (
            None
            if rules.voice_channel is None
            else self._app.channel(community.key, rules.voice_channel).channel_id
        )
        event = ScheduledEvent(
            community=community.key,
            title=board.title,
            description=catalog.text("live.event_description", session=board.id),
            starts_at=board.opens_at,
            ends_at=board.closes_at,
            voice_channel_id=voice,
            location=rules.location or catalog.text("live.event_location"),
        )
        try:
            event_id = await self._app.platform(community.key).create_scheduled_event(event)
        except Unsupported as error:
            log.info("%s: live session %d: no calendar event (%s)", community.key, board.id, error)
            return
        except PlatformError as error:
            log.warning("%s: live session %d: calendar event: %s", community.key, board.id, error)
            return
        async with self._app.store.transaction() as uow:
            await uow.repository(LiveSessions).set(board.id, event_id=event_id)

    async def plan(self, community_key: str) -> None:
        """Create the configured sessions that start within `announce_hours`."""
        community = self._app.communities[community_key]
        rules = community.section(LiveConfig)
        if not rules.enabled or not rules.schedules:
            return
        now = self._app.clock.now()
        community_id = self._app.community_id(community_key)
        for schedule in rules.schedules:
            [start] = next_fire_times(
                parse_cron(schedule.cron), ZoneInfo(community.timezone), now, 1
            )
            if start - now > timedelta(hours=rules.announce_hours):
                continue
            async with self._app.store.read() as uow:
                if await uow.repository(LiveSessions).of_schedule(
                    community_id, schedule.name, start
                ):
                    continue
            await self.schedule(
                community,
                title=schedule.title,
                starts_at=start,
                minutes=schedule.minutes or rules.minutes,
                hosts=schedule.hosts,
                purpose=schedule.channel or rules.channel,
                schedule=schedule,
            )

    # Moving along stored times.

    async def advance(self, community_key: str) -> None:
        """Remind, open and close a community's sessions as their stored times say."""
        community = self._app.communities[community_key]
        rules = community.section(LiveConfig)
        if not rules.enabled:
            return
        community_id = self._app.community_id(community_key)
        async with self._app.store.read() as uow:
            boards = await uow.repository(Boards).of_kind(community_id, KIND, UPCOMING)
        now = self._app.clock.now()
        for board in boards:
            try:
                if board.status == "scheduled":
                    if now >= board.opens_at - timedelta(minutes=rules.remind_minutes):
                        await self._remind(community, board)
                    if now >= board.opens_at:
                        await self._open(community, board)
                        board = dataclasses.replace(board, status="open")
                if board.status == "open" and now >= board.closes_at:
                    await self._close(community, board)
            except PlatformError as error:
                log.warning("%s: live session %d: %s; again later", community_key, board.id, error)

    async def _remind(self, community: CommunityConfig, board: Board) -> None:
        """Remind the interested members privately, once, unless they closed their DMs."""
        async with self._app.store.transaction() as uow:
            repo = uow.repository(LiveSessions)
            if not await repo.claim_reminder(board.id):
                return
            interested = await repo.attendees(board.id, "interested")
            closed = await uow.optouts.members(board.community_id, "dm")
        post = self._app.catalog(community.key).post(
            "live.posts.reminder",
            title=board.title,
            starts_at=board.opens_at,
            timezone=community.timezone,
            channel=self._channel_mention(community, board),
        )
        platform = self._app.platform(community.key)
        reminded = 0
        for member in interested:
            if member in closed:
                continue
            try:
                await platform.send_direct(community.key, member, post)
                reminded += 1
            except Forbidden as error:
                log.info("live: %s in %s does not accept DMs (%s)", member, community.key, error)
            except PlatformError as error:
                log.warning("live: could not remind %s in %s: %s", member, community.key, error)
        log.info("%s: live session %d: %d reminded", community.key, board.id, reminded)

    async def _open(self, community: CommunityConfig, board: Board) -> None:
        catalog = self._app.catalog(community.key)
        async with self._app.store.transaction() as uow:
            if not await uow.repository(Boards).move(board.id, "scheduled", "open"):
                return
            session = await uow.repository(LiveSessions).get(board.id)
            hosts = session.hosts if session is not None else ()
            offered = await uow.repository(HostOffers).accepted(
                board.community_id, KIND, str(board.id)
            )
            cohosts = [member for member in offered if member in hosts]
            post = catalog.post(
                "live.posts.started",
                title=board.title,
                hosts=list((await mentions(uow, board.community_id, hosts)).values()),
                cohosts=list((await mentions(uow, board.community_id, cohosts)).values()),
                ends_at=board.closes_at,
                timezone=community.timezone,
                anonymous=community.section(LiveConfig).anonymous,
            )
            outbox = await self._queue(uow, community.key, board, "started", post)
            closed = await uow.optouts.members(board.community_id, "dm")
        await self._app.delivery.deliver(outbox)
        log.info("%s: live session %d started", community.key, board.id)
        told = catalog.post(
            "live.posts.cohosting",
            title=board.title,
            ends_at=board.closes_at,
            timezone=community.timezone,
            channel=self._channel_mention(community, board),
        )
        platform = self._app.platform(community.key)
        for member in cohosts:
            if member in closed:
                continue
            try:
                await platform.send_direct(community.key, member, told)
            except PlatformError as error:
                log.info("live: co-host %s in %s not told: %s", member, community.key, error)

    async def _close(self, community: CommunityConfig, board: Board) -> None:
        """End a session: its summary in the channel, the open questions to its hosts.

        The question being answered when time runs out counts as answered: the
        host was on it, and `next` is not run after the last one.
        """
        catalog = self._app.catalog(community.key)
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Boards)
            if not await repo.move(board.id, "open", "closed"):
                return
            for item in await repo.ranked(board.id):
                if item.taken_at is not None:  # being answered when time ran out
                    await repo.mark(item)
            counts = await repo.counts(board.id)
            participants = await repo.participants(board.id)
            left = await repo.ranked(board.id)
            session = await uow.repository(LiveSessions).get(board.id)
            hosts = list(session.hosts) if session is not None else []
            # Members who accepted an offer to host it took the lead: it ran with them.
            offers = uow.repository(HostOffers)
            await offers.credit(
                board.community_id,
                KIND,
                str(board.id),
                hosts,
                ref=f"live:{community.key}:{board.id}:summary",
            )
            await offers.lapse(board.community_id, KIND, str(board.id))
            post = catalog.post(
                "live.posts.summary",
                title=board.title,
                asked=sum(counts.values()) - counts["merged"],
                answered=counts["answered"],
                left=counts["open"],
                participants=len(participants),
            )
            outbox = await self._queue(uow, community.key, board, "summary", post)
            names = await authors(uow, board.community_id, left)
            closed = await uow.optouts.members(board.community_id, "dm")
        await self._app.delivery.deliver(outbox)
        followup = catalog.post(
            "live.posts.followup",
            title=board.title,
            questions=entries(left, names, reveal=False),
        )
        platform = self._app.platform(community.key)
        for host in hosts:
            if host in closed:
                continue
            try:
                await platform.send_direct(community.key, host, followup)
            except PlatformError as error:
                log.info("live: no follow-up to host %s in %s: %s", host, community.key, error)
        log.info(
            "%s: live session %d ended: %d asked, %d answered, %d participants",
            community.key,
            board.id,
            sum(counts.values()) - counts["merged"],
            counts["answered"],
            len(participants),
        )

    async def cancel(self, community: CommunityConfig, board: Board) -> bool:
        """Cancel a session not ended yet, saying so in its channel."""
        async with self._app.store.transaction() as uow:
            if not await uow.repository(Boards).move(board.id, board.status, "cancelled"):
                return False
            await uow.repository(HostOffers).lapse(board.community_id, KIND, str(board.id))
            post = self._app.catalog(community.key).post("live.posts.cancelled", title=board.title)
            outbox = await self._queue(uow, community.key, board, "cancelled", post)
            session = await uow.repository(LiveSessions).get(board.id)
        await self._app.delivery.deliver(outbox)
        if session is not None and session.event_id is not None:
            await self._off_calendar(community, board, session.event_id)
        return True

    async def _off_calendar(self, community: CommunityConfig, board: Board, event_id: str) -> None:
        """Cancel the session's calendar event; a failure is logged for a moderator to act on."""
        try:
            await self._app.platform(community.key).cancel_scheduled_event(community.key, event_id)
        except (Unsupported, NotFound) as error:
            log.info(
                "%s: live session %d: calendar event %s gone (%s)",
                community.key,
                board.id,
                event_id,
                error,
            )
        except PlatformError as error:
            log.warning(
                "%s: live session %d is cancelled but its calendar event %s could not be: %s;"
                " members who marked it still see it until a moderator cancels it by hand",
                community.key,
                board.id,
                event_id,
                error,
            )

    async def purge(self, community_key: str, _scheduled_for: datetime) -> None:
        """Delete the sessions (questions and votes) ended before the community's retention."""
        community = self._app.communities[community_key]
        retention = community.section(PrivacyConfig).retention_days
        before = self._app.clock.now() - timedelta(days=retention)
        async with self._app.store.transaction() as uow:
            gone = await uow.repository(Boards).purge(
                self._app.community_id(community_key), KIND, before
            )
        if gone:
            log.info("%s: %d live sessions past retention deleted", community_key, gone)

    # Helpers.

    def _channel_mention(self, community: CommunityConfig, board: Board) -> ChannelMention:
        purpose = next(
            (p for p, channel in community.channels.items() if channel == board.channel_id),
            board.channel_id,
        )
        return ChannelMention(channel_id=board.channel_id, name=purpose)

    async def _queue(
        self, uow: UnitOfWork, community_key: str, board: Board, step: str, post: Post
    ) -> int:
        return await self._app.delivery.enqueue(
            uow,
            community_id=board.community_id,
            where=where(community_key, board),
            post=post,
            nonce=f"live:{community_key}:{board.id}:{step}",
        )


def where(community_key: str, board: Board) -> ChannelRef:
    """Return the channel a session is held in."""
    return ChannelRef(
        community=community_key, channel_id=board.channel_id, thread_id=board.thread_id
    )
