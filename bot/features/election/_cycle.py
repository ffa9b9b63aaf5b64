"""The election cycle: nominations → voting → closed → announced, driven by stored timestamps.

Nothing here trusts memory. A scheduled job opens each month's election (claimed
once in the run ledger); a tick every quarter hour, the first one at start-up, and
every command or click first move each election along to where its stored
timestamps say it should be, so a close missed while the bot was down happens at
the next start. Phase changes are compare-and-set updates, and the announcement is
claimed in the run ledger and queued in the outbox in the same transaction, so it
is posted exactly once whatever the number of processes and restarts.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.config import CommunityConfig
from bot.features.election._announce import Announcer
from bot.features.election._config import ElectionConfig
from bot.features.election._metrics import excluded_at_close
from bot.features.election._rules import eligible_voters
from bot.features.election._tally import count
from bot.scheduling import Job, parse_cron
from bot.storage import ElectionRecord, UnitOfWork

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

TICK = "*/15 * * * *"
"""How often stored deadlines are checked (commands and clicks also check on use)."""


LATE = timedelta(hours=1)
"""Voting that opens later than this after its time gets its full length from now."""

ON_TIME = timedelta(minutes=1)
"""An opening run within this of its scheduled instant keeps that instant (timer jitter).

A later one (Terreau was down, or installed after the opening) counts every phase
from the moment it really opens: a missed opening never shortens a phase. The
scheduler runs it only within `nomination_hours` of its time; past that, the
community waits for the next opening.
"""


def opening_job_id(community_key: str) -> str:
    """Return the scheduler and ledger id of a community's monthly opening."""
    return f"election:{community_key}:open"


def tick_job_id(community_key: str) -> str:
    """Return the scheduler id of a community's deadline check."""
    return f"election:{community_key}:tick"


def period_at(moment: datetime, timezone: str) -> str:
    """Return the `YYYY-MM` month an election opening at `moment` belongs to."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


class Cycle:
    """Opens, advances, closes and announces every community's elections."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app
        self.announcer = Announcer(app)

    def communities(self) -> list[CommunityConfig]:
        """Return the communities with elections enabled."""
        return [c for c in self._app.communities.values() if c.section(ElectionConfig).enabled]

    def schedule_all(self) -> None:
        """Add the monthly opening and the deadline tick of each community."""
        for community in self.communities():
            rules = community.section(ElectionConfig)
            self._app.jobs.add(
                Job(
                    id=opening_job_id(community.key),
                    community=community.key,
                    schedule=parse_cron(rules.opens),
                    timezone=community.timezone,
                    grace=timedelta(hours=rules.nomination_hours),
                    run=functools.partial(self.run_opening, community.key),
                )
            )
            self._app.jobs.add(
                Job(
                    id=tick_job_id(community.key),
                    community=community.key,
                    schedule=parse_cron(TICK),
                    timezone="UTC",  # one trigger group for every community
                    grace=timedelta(days=1),
                    run=functools.partial(self.run_tick, community.key),
                )
            )

    async def run_opening(self, community_key: str, scheduled_for: datetime) -> None:
        """Open the scheduled election of `scheduled_for`, at most once ever."""
        community = self._app.communities[community_key]
        job = opening_job_id(community_key)
        outbox: list[int] = []
        now = self._app.clock.now()
        late = now - scheduled_for >= ON_TIME
        async with self._app.store.transaction() as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                return
            election = await self._open(
                uow,
                community,
                now if late else scheduled_for,
                period=period_at(scheduled_for, community.timezone),
                slot=f"scheduled:{scheduled_for:%Y%m%dT%H%M%SZ}",
            )
            if election is not None and late:
                log.info(
                    "%s: election %d opened late (due %s): nominations until %s and voting "
                    "until %s, each phase at its full configured length",
                    community.key,
                    election.id,
                    scheduled_for.isoformat(),
                    election.voting_opens_at.isoformat(),
                    election.closes_at.isoformat(),
                )
            if election is None:
                await uow.ledger.finish(job, scheduled_for, "skipped", "an election is running")
            else:
                outbox.append(await self.announcer.nominations_open(uow, community, election))
                await uow.ledger.finish(job, scheduled_for, "done")
        await self._deliver(outbox)
        await self.advance(community_key)

    async def run_tick(self, community_key: str, _scheduled_for: datetime) -> None:
        """Scheduler entry point of the deadline check."""
        await self.advance(community_key)

    async def open_now(self, community: CommunityConfig, by: str) -> ElectionRecord | None:
        """Open an election now (a moderator asked); None if one is already running."""
        now = self._app.clock.now()
        outbox: list[int] = []
        async with self._app.store.transaction() as uow:
            election = await self._open(
                uow,
                community,
                now,
                period=period_at(now, community.timezone),
                slot=f"manual:{now:%Y%m%dT%H%M%S.%fZ}",
                by=by,
            )
            if election is not None:
                outbox.append(await self.announcer.nominations_open(uow, community, election))
        await self._deliver(outbox)
        return election

    async def _open(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        at: datetime,
        *,
        period: str,
        slot: str,
        by: str | None = None,
    ) -> ElectionRecord | None:
        rules = community.section(ElectionConfig)
        community_id = self._app.community_id(community.key)
        voting = at + timedelta(hours=rules.nomination_hours)
        election = await uow.elections.open(
            community_id=community_id,
            slot=slot,
            period=period,
            method=rules.method,
            tie_policy=rules.tie_policy,
            nominations_open_at=at,
            voting_opens_at=voting,
            closes_at=voting + timedelta(hours=rules.voting_hours),
            created_by=by,
        )
        if election is None:
            log.info("%s: no election opened at %s, one is running", community.key, at)
            return None
        await uow.elections.audit(
            community_id, election.id, "opened", actor_id=by, detail={"slot": slot}
        )
        log.info("%s: election %d opened (%s)", community.key, election.id, election.period)
        return election

    async def advance(self, community_key: str) -> None:
        """Move every unfinished election of a community to where its timestamps say."""
        community = self._app.communities[community_key]
        if not community.section(ElectionConfig).enabled:
            return
        community_id = self._app.community_id(community_key)
        async with self._app.store.read(fresh=True) as uow:
            unfinished = await uow.elections.unfinished(community_id)
        for election in unfinished:
            await self._step(community, election)

    async def _step(self, community: CommunityConfig, election: ElectionRecord) -> None:
        now = self._app.clock.now()
        if election.phase == "nominating" and now >= election.voting_opens_at:
            await self._open_voting(community, election)
            election = await self._reload(election.id)
        if election.phase == "voting" and now >= election.closes_at:
            await self._close(community, election)
            election = await self._reload(election.id)
        if election.phase == "closed" and _final(election):
            await self.announce(community, election)

    async def _reload(self, election_id: int) -> ElectionRecord:
        async with self._app.store.read() as uow:
            election = await uow.elections.get(election_id)
        assert election is not None
        return election

    async def _open_voting(self, community: CommunityConfig, election: ElectionRecord) -> None:
        outbox: list[int] = []
        # Voting opened late (Terreau was down) still lasts its full length: a ballot
        # nobody could cast is no vote.
        now = self._app.clock.now()
        closes = election.closes_at
        if now - election.voting_opens_at > LATE:
            closes = max(closes, now + (election.closes_at - election.voting_opens_at))
        async with self._app.store.transaction() as uow:
            nominations = await uow.elections.nominations(election.id)
            candidates = tuple(dict.fromkeys(n.nominee_id for n in nominations))
            if not candidates:
                if await uow.elections.move(
                    election.id, "nominating", "cancelled", result={"resolution": "no_nominees"}
                ):
                    await uow.elections.audit(
                        election.community_id, election.id, "cancelled", detail={"why": "empty"}
                    )
                    outbox.append(await self.announcer.no_nominees(uow, community, election))
            elif await uow.elections.move(
                election.id, "nominating", "voting", candidates=candidates, closes_at=closes
            ):
                await uow.elections.audit(
                    election.community_id,
                    election.id,
                    "voting_opened" if closes == election.closes_at else "voting_opened_late",
                    detail={"candidates": list(candidates), "closes_at": closes.isoformat()},
                )
                opened = await uow.elections.get(election.id)
                assert opened is not None
                outbox.append(await self.announcer.voting_open(uow, community, opened))
        await self._deliver(outbox)

    async def _close(self, community: CommunityConfig, election: ElectionRecord) -> None:
        now = self._app.clock.now()
        outbox: list[int] = []
        async with self._app.store.transaction() as uow:
            candidates = election.candidates or ()
            tally = count(election.method, await uow.elections.ballots(election.id), candidates)
            eligible = await eligible_voters(uow, community, election.community_id, now)
            result: dict[str, Any] = {
                **tally.to_dict(),
                "eligible": len(eligible),
                "excluded": await excluded_at_close(uow, community, election, eligible),
                "tied": list(tally.winners) if tally.tied else [],
            }
            if not tally.winners:
                result["resolution"] = "no_votes"
            elif not tally.tied:
                result["resolution"] = "winner"
            elif election.tie_policy == "co_winners" or election.round > 0:
                result["resolution"] = "co_winners"
            else:
                result["resolution"] = election.tie_policy
                result["winners"] = []
            if not await uow.elections.move(
                election.id, "voting", "closed", closed_at=now, result=result
            ):
                return
            await uow.elections.audit(
                election.community_id,
                election.id,
                "closed",
                detail={"resolution": result["resolution"], "ballots": tally.ballots},
            )
            if result["resolution"] == "runoff":
                runoff = await self._open_runoff(uow, community, election, tally.winners, now)
                outbox.append(await self.announcer.runoff_open(uow, community, runoff))
            elif result["resolution"] == "moderators":
                outbox.extend(
                    await self.announcer.tie_for_moderators(uow, community, election, tally.winners)
                )
        await self._deliver(outbox)

    async def _open_runoff(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        parent: ElectionRecord,
        tied: tuple[str, ...],
        now: datetime,
    ) -> ElectionRecord:
        runoff = await uow.elections.open(
            community_id=parent.community_id,
            slot=f"runoff:{parent.id}",
            period=parent.period,
            method=parent.method,
            tie_policy="co_winners",
            nominations_open_at=parent.nominations_open_at,
            voting_opens_at=now,
            closes_at=now + timedelta(hours=community.section(ElectionConfig).runoff_hours),
            created_by=None,
            phase="voting",
            round=parent.round + 1,
            parent_id=parent.id,
            candidates=tied,
        )
        assert runoff is not None, "the parent just closed, so nothing else is running"
        await uow.elections.audit(
            parent.community_id, runoff.id, "runoff_opened", detail={"candidates": list(tied)}
        )
        return runoff

    async def decide(
        self, community: CommunityConfig, election: ElectionRecord, winner: str, by: str
    ) -> None:
        """Record the moderators' pick among tied nominees, then announce it."""
        result = {**(election.result or {}), "resolution": "decided", "winners": [winner]}
        async with self._app.store.transaction() as uow:
            if not await uow.elections.move(election.id, "closed", "closed", result=result):
                return
            await uow.elections.audit(
                election.community_id,
                election.id,
                "decided",
                actor_id=by,
                detail={"winner": winner},
            )
        await self.announce(community, await self._reload(election.id))

    async def announce(self, community: CommunityConfig, election: ElectionRecord) -> None:
        """Post the result once: ledger claim, hall of fame, sealed ballots and outbox together."""
        job = f"election:{community.key}:announce:{election.id}"
        outbox: list[int] = []
        async with self._app.store.transaction() as uow:
            if not await uow.ledger.claim(job, election.created_at):
                return
            if not await uow.elections.move(
                election.id, "closed", "announced", announced_at=self._app.clock.now()
            ):
                await uow.ledger.finish(job, election.created_at, "skipped", "not closed")
                return
            outbox.append(await self.announcer.result(uow, community, election))
            await uow.elections.seal(election.id)
            if election.parent_id is not None:
                await uow.elections.move(election.parent_id, "closed", "announced")
                await uow.elections.seal(election.parent_id)
            await uow.elections.audit(
                election.community_id,
                election.id,
                "announced",
                detail={"winners": list((election.result or {}).get("winners", []))},
            )
            await uow.ledger.finish(job, election.created_at, "done")
        await self._deliver(outbox)
        await self.announcer.give_role(community, election)

    async def _deliver(self, outbox: list[int]) -> None:
        for outbox_id in outbox:
            await self._app.delivery.deliver(outbox_id)


def _final(election: ElectionRecord) -> bool:
    resolution = (election.result or {}).get("resolution")
    return resolution in ("winner", "co_winners", "no_votes", "decided")
