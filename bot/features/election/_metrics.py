"""Election turnout in reports: the member-of-the-month votes that closed in a period.

A vote's figures are the ones stored when it closed: the ballots counted and the
members who could vote then, by the community's rules (present, not a bot, long
enough in the community, active enough). Runoffs (a second vote between tied
nominees) and cancelled elections are left out.

The members the report excludes (`exclude_members`) are left out too. A ballot is
secret: once the result is announced nothing tells whose it was, so a vote stores,
as it closes, how many of the members excluded then could vote and voted, and
reports take those out. Nominations are left out when their nominator is excluded.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from bot.analytics import METRICS, Figure, Period, Scope, share
from bot.config import CommunityConfig
from bot.features.election._config import ElectionConfig
from bot.features.report import ReportConfig
from bot.storage import ElectionRecord, UnitOfWork
from bot.storage.election import voter_key

log = logging.getLogger(__name__)


def _key(name: str) -> str:
    return f"report.figures.{name}"


async def election_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return turnout and nominations of the votes closed in `period` (nothing if none)."""
    votes = await uow.elections.closed_votes(scope, period)
    if not votes:
        return []
    ballots = eligible = nominated = 0
    ballots_known = eligible_known = True
    for vote in votes:
        stored = vote.result
        excluded = _excluded(stored, scope)
        counted = stored.get("ballots")
        if counted is None:
            counted = await uow.elections.count_votes(vote.election_id)
        if excluded is None:
            ballots_known = eligible_known = False
        else:
            ballots += int(counted) - excluded["ballots"]
        if stored.get("eligible") is None:
            eligible_known = False
        elif excluded is not None:
            eligible += int(stored["eligible"]) - excluded["eligible"]
        nominated += vote.nominations
    months = ", ".join(vote.month for vote in votes)
    labels = {"months": months, "votes": len(votes)}
    return [
        Figure(
            key=_key("election_eligible"),
            value=eligible if eligible_known else None,
            variables=labels,
        ),
        Figure(
            key=_key("election_ballots"), value=ballots if ballots_known else None, variables=labels
        ),
        Figure(
            key=_key("election_turnout"),
            value=share(ballots, eligible) if eligible_known else None,
            unit="share",
            variables=labels,
        ),
        Figure(key=_key("election_nominations"), value=nominated, variables=labels),
    ]


def _excluded(stored: dict[str, Any], scope: Scope) -> dict[str, int] | None:
    """Return the excluded members' share of a closed vote, or None when it is unknown.

    A vote closed before Terreau stored that share counts everyone: right when the
    report excludes nobody, unknown otherwise.
    """
    excluded = stored.get("excluded")
    if isinstance(excluded, dict):
        return {"eligible": int(excluded["eligible"]), "ballots": int(excluded["ballots"])}
    return {"eligible": 0, "ballots": 0} if not scope.exclude else None


async def excluded_at_close(
    uow: UnitOfWork,
    community: CommunityConfig,
    election: ElectionRecord,
    eligible: Collection[str],
) -> dict[str, int]:
    """Return how many members the reports exclude could vote, and voted, as a vote closes.

    Counts only: stored with the result, they tell no one's ballot.
    """
    excluded = sorted(set(community.section(ReportConfig).exclude_members))
    if not excluded:
        return {"eligible": 0, "ballots": 0}
    secret = await uow.elections.secret(election.community_id)
    voted = 0
    for member_id in excluded:
        key = voter_key(secret, election.id, member_id)
        if await uow.elections.vote_of(election.id, key) is not None:
            voted += 1
    return {"eligible": len(set(excluded) & set(eligible)), "ballots": voted}


def holds_elections(community: CommunityConfig) -> bool:
    """Return whether member-of-the-month elections run in `community`."""
    return community.section(ElectionConfig).enabled


def register() -> None:
    """Add election turnout to the reports of communities that hold elections."""
    METRICS.register("election", election_figures, serves=holds_elections)
