"""Election turnout in reports: the member-of-the-month votes that closed in a period.

A vote's figures are the ones stored when it closed: the ballots counted and the
members who could vote then, by the community's rules (present, not a bot, long
enough in the community, active enough). Runoffs (a second vote between tied
nominees) and cancelled elections are left out.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.analytics import METRICS, Figure, Period, share
from bot.config import CommunityConfig
from bot.storage import UnitOfWork
from bot.storage.election import ElectionRow, NominationRow

log = logging.getLogger(__name__)

COUNTED_PHASES = ("closed", "announced")
"""A vote that closed, whether its result is announced yet or awaits the moderators."""
_elections = ElectionRow.__table__.c
_nominations = NominationRow.__table__.c


def _key(name: str) -> str:
    return f"report.figures.{name}"


async def election_figures(uow: UnitOfWork, community_id: int, period: Period) -> list[Figure]:
    """Return turnout and nominations of the votes closed in `period` (nothing if none)."""
    nominations = (
        select(func.count()).where(_nominations.election_id == _elections.id).scalar_subquery()
    )
    stmt = (
        select(_elections.id, _elections.period, _elections.result, nominations)
        .where(
            _elections.community_id == community_id,
            _elections.round == 0,
            _elections.phase.in_(COUNTED_PHASES),
            _elections.closed_at >= period.since,
            _elections.closed_at < period.until,
        )
        .order_by(_elections.closed_at)
    )
    votes = (await uow.connection.execute(stmt)).all()
    if not votes:
        return []
    ballots = eligible = nominated = 0
    eligible_known = True
    for election_id, _month, result, nominees in votes:
        stored = result if isinstance(result, dict) else {}
        counted = stored.get("ballots")
        if counted is None:
            counted = await uow.elections.count_votes(election_id)
        ballots += int(counted)
        if stored.get("eligible") is None:
            eligible_known = False
        else:
            eligible += int(stored["eligible"])
        nominated += int(nominees)
    months = ", ".join(str(month) for _id, month, _result, _nominees in votes)
    labels = {"months": months, "votes": len(votes)}
    return [
        Figure(
            key=_key("election_eligible"),
            value=eligible if eligible_known else None,
            variables=labels,
        ),
        Figure(key=_key("election_ballots"), value=ballots, variables=labels),
        Figure(
            key=_key("election_turnout"),
            value=share(ballots, eligible) if eligible_known else None,
            unit="share",
            variables=labels,
        ),
        Figure(key=_key("election_nominations"), value=nominated, variables=labels),
    ]


def holds_elections(community: CommunityConfig) -> bool:
    """Return whether member-of-the-month elections run in `community`."""
    return community.election.enabled


def register() -> None:
    """Add election turnout to the reports of communities that hold elections."""
    METRICS.register("election", election_figures, serves=holds_elections)
