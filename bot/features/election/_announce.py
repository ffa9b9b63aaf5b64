"""What the election posts: openings, ballots, ties, the result, and the winner's role."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from bot.config import CommunityConfig
from bot.domain import ChannelRef, Choice, Mention, Post
from bot.features.election._config import ElectionConfig
from bot.ports import Forbidden, NotFound, PlatformError, RoleManager, Unsupported
from bot.storage import ElectionRecord, NominationRecord, UnitOfWork
from bot.storage.election import is_former_member

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

RESET = "~reset"
"""The choice part of the ranked ballot's reset button (no member id contains `~`)."""


def ballot_choices(
    election: ElectionRecord, names: dict[str, str], reset: str
) -> tuple[Choice, ...]:
    """Return the buttons of a ballot: one per candidate, plus a reset for ranked ballots."""
    choices = [
        Choice(id=f"election:{election.id}:{nominee}", label=names.get(nominee, nominee))
        for nominee in election.candidates or ()
    ]
    if election.method == "ranked":
        choices.append(Choice(id=f"election:{election.id}:{RESET}", label=reset))
    return tuple(choices)


def nominee_names(nominations: list[NominationRecord]) -> dict[str, str]:
    """Return each nominee's latest known display name, in nomination order."""
    names: dict[str, str] = {}
    for nomination in nominations:
        names[nomination.nominee_id] = nomination.nominee_name
    return names


class Announcer:
    """Renders the election's posts in the community's language and queues them."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    async def nominations(
        self, uow: UnitOfWork, election: ElectionRecord
    ) -> list[NominationRecord]:
        """Return the nominations behind an election (a runoff's come from its parent)."""
        return await uow.elections.nominations(election.parent_id or election.id)

    def ballot(
        self, community: CommunityConfig, election: ElectionRecord, names: dict[str, str], key: str
    ) -> Post:
        """Render `key` with the election's deadlines and attach the ballot buttons."""
        catalog = self._app.catalog(community.key)
        post = catalog.post(
            key,
            closes_at=election.closes_at,
            timezone=community.timezone,
            method=election.method,
            nominees=[names.get(n, n) for n in election.candidates or ()],
            election=election.id,
        )
        reset = catalog.text("election.ballot.reset_label")
        return dataclasses.replace(post, choices=ballot_choices(election, names, reset))

    async def nominations_open(
        self, uow: UnitOfWork, community: CommunityConfig, election: ElectionRecord
    ) -> int:
        """Queue the post that opens nominations."""
        post = self._app.catalog(community.key).post(
            "election.posts.nominations_open",
            voting_opens_at=election.voting_opens_at,
            timezone=community.timezone,
            period=election.period,
        )
        return await self._queue(uow, community, election, "open", post)

    async def no_nominees(
        self, uow: UnitOfWork, community: CommunityConfig, election: ElectionRecord
    ) -> int:
        """Queue the post that says nobody was nominated."""
        post = self._app.catalog(community.key).post("election.posts.no_nominees")
        return await self._queue(uow, community, election, "empty", post)

    async def voting_open(
        self, uow: UnitOfWork, community: CommunityConfig, election: ElectionRecord
    ) -> int:
        """Queue the post that opens voting, with the ballot."""
        names = nominee_names(await self.nominations(uow, election))
        post = self.ballot(community, election, names, "election.posts.voting_open")
        return await self._queue(uow, community, election, "voting", post)

    async def runoff_open(
        self, uow: UnitOfWork, community: CommunityConfig, runoff: ElectionRecord
    ) -> int:
        """Queue the post that opens a runoff between tied nominees."""
        names = nominee_names(await self.nominations(uow, runoff))
        post = self.ballot(community, runoff, names, "election.posts.runoff_open")
        return await self._queue(uow, community, runoff, "runoff", post)

    async def tie_for_moderators(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        election: ElectionRecord,
        tied_ids: tuple[str, ...],
    ) -> list[int]:
        """Queue the tie notice, and the request to moderators (in their channel if any)."""
        names = nominee_names(await self.nominations(uow, election))
        tied = [names.get(n, n) for n in tied_ids]
        catalog = self._app.catalog(community.key)
        post = catalog.post("election.posts.tie_for_moderators", tied=tied)
        where = self._app.channel_if_configured(community.key, "moderators")
        public = catalog.post("election.posts.tie_public", tied=tied)
        return [
            await self._queue(uow, community, election, "tie-public", public),
            await self._queue(uow, community, election, "tie", post, where=where),
        ]

    async def result(
        self, uow: UnitOfWork, community: CommunityConfig, election: ElectionRecord
    ) -> int:
        """Queue the announcement and enter the winners in the hall of fame."""
        nominations = await self.nominations(uow, election)
        names = nominee_names(nominations)
        result = election.result or {}
        winners = [str(w) for w in result.get("winners", [])]
        for winner in winners:
            await uow.elections.add_winner(
                election.id,
                community_id=election.community_id,
                member_id=winner,
                display_name="" if is_former_member(winner) else names.get(winner, winner),
                period=election.period,
            )
        # A reason is empty when its author erased their data while the election ran.
        reasons = list(
            dict.fromkeys(n.reason for n in nominations if n.nominee_id in winners and n.reason)
        )
        catalog = self._app.catalog(community.key)
        former = catalog.text("election.former_member")
        post = catalog.post(
            "election.posts.result",
            resolution=result.get("resolution"),
            winners=[
                former
                if is_former_member(w)
                else Mention(member_id=w, display_name=names.get(w, w))
                for w in winners
            ],
            reasons=reasons,
            nominees=list(names.values()),
            ballots=int(result.get("ballots", 0)),
            eligible=int(result.get("eligible", 0)),
            period=election.period,
            runoff=election.round > 0,
        )
        return await self._queue(uow, community, election, "result", post)

    async def give_role(self, community: CommunityConfig, election: ElectionRecord) -> None:
        """Give the configured role to this month's winners (taking it from last month's)."""
        role = community.section(ElectionConfig).winner_role
        winners = [
            str(w) for w in (election.result or {}).get("winners", []) if not is_former_member(w)
        ]
        if role is None or not winners:
            return
        platform = self._app.platform(community.key)
        if not isinstance(platform, RoleManager):
            log.info("%s cannot give roles; the winner role is skipped", platform.name)
            return
        try:
            await platform.set_role(community.key, role, winners)
        except PlatformError as error:
            await self._role_refused(community, election, role, error)
            return
        async with self._app.store.transaction() as uow:
            await uow.elections.audit(
                election.community_id,
                election.id,
                "role_given",
                detail={"role": role, "members": winners},
            )

    async def _role_refused(
        self,
        community: CommunityConfig,
        election: ElectionRecord,
        role: str,
        error: PlatformError,
    ) -> None:
        """Record a refused winner role and tell the moderators what to fix; the result stands."""
        reason = (
            "forbidden"
            if isinstance(error, Forbidden)
            else "not_found"
            if isinstance(error, NotFound)
            else "unsupported"
            if isinstance(error, Unsupported)
            else "failed"
        )
        moderators = self._app.channel_if_configured(community.key, "moderators")
        log.warning(
            "%s: could not give the winner role %s (%s)%s",
            community.key,
            role,
            error,
            "" if moderators else "; no moderators channel configured to tell",
        )
        outbox_id = None
        async with self._app.store.transaction() as uow:
            await uow.elections.audit(
                election.community_id,
                election.id,
                "role_failed",
                detail={"role": role, "reason": reason},
            )
            if moderators is not None:
                post = self._app.catalog(community.key).post(
                    "election.posts.role_failed", role=role, reason=reason, error=str(error)
                )
                outbox_id = await self._queue(
                    uow, community, election, "role-failed", post, where=moderators
                )
        if outbox_id is not None:
            await self._app.delivery.deliver(outbox_id)

    async def _queue(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        election: ElectionRecord,
        what: str,
        post: Post,
        *,
        where: ChannelRef | None = None,
    ) -> int:
        channel = self._app.channel(community.key, community.section(ElectionConfig).channel)
        return await self._app.delivery.enqueue(
            uow,
            community_id=election.community_id,
            where=where if where is not None else channel,
            post=post,
            nonce=f"election:{community.key}:{election.id}:{what}",
        )
