"""`/terreau election ...`: the members' commands and the moderators' controls."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Option, OptionKind, Permission, guarded
from bot.config import CommunityConfig
from bot.domain import strip_markers
from bot.features.election._announce import nominee_names
from bot.features.election._ballot import Ballots
from bot.features.election._config import ElectionConfig
from bot.features.election._cycle import Cycle, opening_job_id
from bot.features.election._rules import (
    Refusal,
    check_nominee,
    check_voter,
    fetch_nominee,
    nominee,
)
from bot.storage import ElectionRecord
from bot.storage.election import is_former_member

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

MAX_REASON = 500
"""Longest nomination reason kept (longer ones are cut)."""


def _enabled(community: CommunityConfig) -> bool:
    return community.section(ElectionConfig).enabled


class ElectionCommands:
    """The handlers of the election command group."""

    def __init__(self, app: FeatureContext, cycle: Cycle, ballots: Ballots) -> None:
        self._app = app
        self._cycle = cycle
        self._ballots = ballots

    def declare(self) -> None:
        """Register every `/terreau election` action."""
        member = Option(name="member", kind=OptionKind.MEMBER)
        for action, handler, options, permission in (
            ("status", self.status, (), Permission.MEMBER),
            (
                "nominate",
                self.nominate,
                (member, Option(name="reason", rest=True)),
                Permission.MEMBER,
            ),
            ("vote", self.vote, (), Permission.MEMBER),
            ("receipt", self.receipt, (), Permission.MEMBER),
            ("halloffame", self.hall_of_fame, (), Permission.MEMBER),
            ("start", self.start, (), Permission.MODERATOR),
            (
                "extend",
                self.extend,
                (Option(name="hours", kind=OptionKind.INTEGER, minimum=1, maximum=720),),
                Permission.MODERATOR,
            ),
            ("close", self.close, (), Permission.MODERATOR),
            ("cancel", self.cancel, (), Permission.MODERATOR),
            ("decide", self.decide, (member,), Permission.MODERATOR),
        ):
            self._app.commands.register(
                Command(
                    group="election",
                    action=action,
                    handler=guarded(
                        self._app.communities,
                        _enabled,
                        Refusal,
                        handler,
                        before=self._cycle.advance,
                    ),
                    options=options,
                    permission=permission,
                )
            )

    async def _running(self, community: CommunityConfig) -> ElectionRecord:
        async with self._app.store.read() as uow:
            election = await uow.elections.running(self._app.community_id(community.key))
        if election is None:
            raise Refusal("none_running")
        return election

    async def status(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Show the stage of the current election, its nominees and deadlines (never a tally)."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            election = await uow.elections.running(community_id)
            if election is None:
                election = await uow.elections.latest(community_id)
            names = (
                nominee_names(await self._cycle.announcer.nominations(uow, election))
                if election is not None
                else {}
            )
        upcoming = self._app.jobs.next_runs(opening_job_id(community.key), 1)
        phase = election.phase if election is not None else "none"
        if election is not None and election.phase == "closed":
            phase = "awaiting"
        if phase in ("announced", "cancelled"):
            phase = "none"
        candidates = election.candidates if election is not None else None
        former = self._app.catalog(community.key).text("election.former_member")
        names.update({n: former for n in candidates or () if is_former_member(n)})
        await ctx.reply(
            f"election.status.{phase}",
            nominees=[names.get(n, n) for n in candidates] if candidates else list(names.values()),
            voting_opens_at=election.voting_opens_at if election else None,
            closes_at=election.closes_at if election else None,
            method=election.method if election else community.section(ElectionConfig).method,
            next_opening=upcoming[0] if upcoming else None,
            timezone=community.timezone,
        )

    async def nominate(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Nominate a member, with a reason, while nominations are open."""
        now = self._app.clock.now()
        community_id = self._app.community_id(community.key)
        reason = strip_markers(str(ctx.options["reason"])).strip()[:MAX_REASON]
        nominee_id = str(ctx.options["member"])
        fetched = await fetch_nominee(self._app, community, nominee_id)
        async with self._app.store.transaction() as uow:
            election = await uow.elections.running(community_id)
            if election is None or election.phase != "nominating":
                raise Refusal("not_nominating")
            await check_voter(uow, community, community_id, ctx.event.member, now)
            candidate = await nominee(uow, community_id, nominee_id, fetched)
            await check_nominee(
                uow, community, community_id, ctx.event.member, candidate, election.period
            )
            if not await uow.elections.nominate(
                election.id,
                nominee_id=candidate.id,
                nominee_name=candidate.display_name,
                nominator_id=ctx.event.member.id,
                reason=reason,
            ):
                raise Refusal("already_nominated", nominee=candidate.display_name)
            await uow.elections.audit(
                community_id,
                election.id,
                "nominated",
                actor_id=ctx.event.member.id,
                detail={"nominee": candidate.id},
            )
        await ctx.reply(
            "election.nominated",
            nominee=candidate.display_name,
            voting_opens_at=election.voting_opens_at,
            timezone=community.timezone,
        )

    async def vote(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Show the ballot privately to an eligible member."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            election = await uow.elections.running(community_id)
            if election is None or election.phase != "voting":
                raise Refusal("not_voting")
            await check_voter(uow, community, community_id, ctx.event.member, self._app.clock.now())
            names = nominee_names(await self._cycle.announcer.nominations(uow, election))
        others = tuple(n for n in election.candidates or () if n != ctx.event.member.id)
        ballot = self._cycle.announcer.ballot(
            community,
            dataclasses.replace(election, candidates=others),
            names,
            "election.ballot.private",
        )
        await self._app.respond(ctx.event, ballot, private=True)

    async def receipt(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Tell the member privately what their ballot says."""
        await self._ballots.receipt(community, ctx.event)

    async def hall_of_fame(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """List the past members of the month."""
        async with self._app.store.read() as uow:
            winners = await uow.elections.winners(self._app.community_id(community.key))
        former = self._app.catalog(community.key).text("election.former_member")
        await ctx.reply(
            "election.hall_of_fame",
            winners=[
                {
                    "name": former if is_former_member(w.member_id) else w.display_name,
                    "period": w.period,
                }
                for w in winners
            ],
        )

    async def start(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Open an election now."""
        election = await self._cycle.open_now(community, ctx.event.member.id)
        if election is None:
            raise Refusal("already_running")
        await ctx.reply(
            "election.started",
            voting_opens_at=election.voting_opens_at,
            closes_at=election.closes_at,
            timezone=community.timezone,
        )

    async def extend(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Push the current phase's deadline back by some hours."""
        election = await self._running(community)
        hours = timedelta(hours=int(ctx.options["hours"]))
        voting = election.voting_opens_at + (
            hours if election.phase == "nominating" else timedelta()
        )
        await self._reschedule(ctx, election, voting, election.closes_at + hours, "extended")
        await ctx.reply(
            "election.extended",
            phase=election.phase,
            voting_opens_at=voting,
            closes_at=election.closes_at + hours,
            timezone=community.timezone,
        )

    async def close(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """End the current phase now: nominations (voting opens) or voting (the count runs)."""
        election = await self._running(community)
        now = self._app.clock.now()
        if election.phase == "nominating":
            closes = now + timedelta(hours=community.section(ElectionConfig).voting_hours)
            await self._reschedule(ctx, election, now, closes, "nominations_closed_early")
        else:
            await self._reschedule(ctx, election, election.voting_opens_at, now, "closed_early")
        await self._cycle.advance(community.key)
        async with self._app.store.read() as uow:
            now_in = await uow.elections.get(election.id)
        phase = now_in.phase if now_in is not None else election.phase
        outcome = {"voting": "nominating", "cancelled": "no_nominees"}.get(phase, "voting")
        await ctx.reply(f"election.closed_early.{outcome}")

    async def _reschedule(
        self,
        ctx: CommandContext,
        election: ElectionRecord,
        voting: datetime,
        closes: datetime,
        what: str,
    ) -> None:
        async with self._app.store.transaction() as uow:
            if not await uow.elections.reschedule(
                election.id, election.phase, voting_opens_at=voting, closes_at=closes
            ):
                raise Refusal("none_running")
            await uow.elections.audit(
                election.community_id,
                election.id,
                what,
                actor_id=ctx.event.member.id,
                detail={"voting_opens_at": str(voting), "closes_at": str(closes)},
            )

    async def cancel(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Cancel the running election, with a public notice."""
        election = await self._running(community)
        async with self._app.store.transaction() as uow:
            if not await uow.elections.move(
                election.id, election.phase, "cancelled", result={"resolution": "cancelled"}
            ):
                raise Refusal("none_running")
            await uow.elections.audit(
                election.community_id, election.id, "cancelled", actor_id=ctx.event.member.id
            )
            if election.parent_id is not None:  # a runoff: its first round ends with it
                await uow.elections.move(election.parent_id, "closed", "cancelled")
            post = self._app.catalog(community.key).post("election.posts.cancelled")
            outbox_id = await self._app.delivery.enqueue(
                uow,
                community_id=election.community_id,
                where=self._app.channel(community.key, community.section(ElectionConfig).channel),
                post=post,
                nonce=f"election:{community.key}:{election.id}:cancelled",
            )
        await self._app.delivery.deliver(outbox_id)
        await ctx.reply("election.cancelled")

    async def decide(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Break a tie the moderators were asked to decide."""
        async with self._app.store.read() as uow:
            unfinished = await uow.elections.unfinished(self._app.community_id(community.key))
        waiting = [
            e
            for e in unfinished
            if e.phase == "closed" and (e.result or {}).get("resolution") == "moderators"
        ]
        if not waiting:
            raise Refusal("nothing_to_decide")
        election = waiting[-1]
        result = election.result or {}
        chosen = str(ctx.options["member"])
        if chosen not in result.get("tied", []) or is_former_member(chosen):
            raise Refusal("not_tied", nominee=chosen)
        await self._cycle.decide(community, election, chosen, ctx.event.member.id)
        await ctx.reply("election.decided")
