"""Secret ballots: clicks on `election:<id>:<nominee>` buttons, answered privately.

A single-choice click replaces the voter's ballot. A ranked-choice click appends
the nominee to the voter's ranking (the stored ballot is the state, so it survives
restarts); the reset button starts the ranking over. The ballot row holds a voter
key, never the member id.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.config import CommunityConfig
from bot.domain import ChoiceMade, CommandInvoked
from bot.features.election._announce import RESET, nominee_names
from bot.features.election._config import ElectionConfig
from bot.features.election._cycle import Cycle
from bot.features.election._rules import Refusal, check_voter
from bot.storage import ElectionRecord
from bot.storage.election import voter_key

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)


class Ballots:
    """Casting, changing, resetting and looking up one's own ballot."""

    def __init__(self, app: FeatureContext, cycle: Cycle) -> None:
        self._app = app
        self._cycle = cycle

    async def on_choice(self, event: ChoiceMade) -> None:
        """Handle a click on a ballot button."""
        community = self._app.communities.get(event.community)
        parts = event.choice_id.split(":", 2)
        if community is None or len(parts) != 3 or not parts[1].isdecimal():
            await self._app.reply(event, "messages.choices.expired")
            return
        election_id, choice = int(parts[1]), parts[2]
        try:
            await self.click(community, event, election_id, choice)
        except Refusal as refusal:
            await self._refused(community, event, election_id, refusal)
            await self._app.respond(
                event,
                self._app.catalog(event.community).post(
                    refusal.key, member=event.member.display_name, **refusal.variables
                ),
            )

    async def click(
        self, community: CommunityConfig, event: ChoiceMade, election_id: int, choice: str
    ) -> None:
        """Record the click's effect on the member's ballot and answer privately."""
        if not community.section(ElectionConfig).enabled:
            raise Refusal("disabled")
        await self._cycle.advance(community.key)
        now = self._app.clock.now()
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            election = await uow.elections.get(election_id)
            if election is None or election.community_id != community_id:
                raise Refusal("ballot_unknown")
            if election.phase != "voting":
                raise Refusal("ballot_closed")
            await check_voter(uow, community, community_id, event.member, now)
            names = nominee_names(await self._cycle.announcer.nominations(uow, election))
            key = voter_key(await uow.elections.secret(community_id), election.id, event.member.id)
            if choice == RESET and election.method == "ranked":
                changed = await uow.elections.withdraw(election.id, key)
                ranking: tuple[str, ...] = ()
            else:
                if choice not in (election.candidates or ()):
                    raise Refusal("ballot_unknown")
                if choice == event.member.id:
                    raise Refusal("self_vote")
                current = await uow.elections.vote_of(election.id, key)
                before = current.ranking if current is not None else ()
                ranking = (choice,)
                if election.method == "ranked":
                    ranking = before if choice in before else (*before, choice)
                # A repeated click (or the same click delivered again) changes nothing.
                changed = ranking != before
                if changed:
                    await uow.elections.cast(election.id, key, ranking)
            if changed:
                await uow.elections.audit(community_id, election.id, "ballot_changed")
        await self._answer(event, election, ranking, names)

    async def _refused(
        self, community: CommunityConfig, event: ChoiceMade, election_id: int, refusal: Refusal
    ) -> None:
        """Keep why a ballot click was refused in the election's audit log (never who)."""
        if refusal.reason == "disabled":
            return
        async with self._app.store.transaction() as uow:
            known = await uow.elections.get(election_id)
            community_id = self._app.community_id(community.key)
            mine = known is not None and known.community_id == community_id
            await uow.elections.audit(
                community_id,
                election_id if mine else None,
                "ballot_refused",
                detail={"reason": refusal.reason, "clicked_at": event.occurred_at.isoformat()},
            )

    async def _answer(
        self,
        event: ChoiceMade,
        election: ElectionRecord,
        ranking: tuple[str, ...],
        names: dict[str, str],
    ) -> None:
        chosen = [names.get(n, n) for n in ranking]
        timezone = self._app.communities[event.community].timezone
        if election.method == "single":
            await self._app.reply(
                event,
                "election.ballot.voted",
                nominee=chosen[0],
                closes_at=election.closes_at,
                timezone=timezone,
            )
            return
        left = [
            names.get(n, n)
            for n in election.candidates or ()
            if n not in ranking and n != event.member.id
        ]
        await self._app.reply(
            event,
            "election.ballot.ranked",
            ranking=chosen,
            left=left,
            closes_at=election.closes_at,
            timezone=timezone,
        )

    async def receipt(self, community: CommunityConfig, event: CommandInvoked) -> None:
        """Tell the member, privately, what their ballot in the running election says."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            election = await uow.elections.running(community_id)
            if election is None or election.phase != "voting":
                raise Refusal("not_voting")
            key = voter_key(await uow.elections.secret(community_id), election.id, event.member.id)
            vote = await uow.elections.vote_of(election.id, key)
            names = nominee_names(await self._cycle.announcer.nominations(uow, election))
        if vote is None:
            await self._app.reply(
                event,
                "election.receipt.none",
                closes_at=election.closes_at,
                timezone=community.timezone,
            )
            return
        await self._app.reply(
            event,
            "election.receipt.counted",
            ranking=[names.get(n, n) for n in vote.ranking],
            method=election.method,
            updated_at=vote.updated_at,
            closes_at=election.closes_at,
            timezone=community.timezone,
        )

    async def member_left(self, community: CommunityConfig, member_id: str) -> None:
        """Apply `member_left = "drop"`: withdraw the ballot of a member who left mid-vote."""
        if community.section(ElectionConfig).member_left != "drop":
            return
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            election = await uow.elections.running(community_id)
            if election is None or election.phase != "voting":
                return
            key = voter_key(await uow.elections.secret(community_id), election.id, member_id)
            if await uow.elections.withdraw(election.id, key):
                await uow.elections.audit(community_id, election.id, "ballot_dropped")
