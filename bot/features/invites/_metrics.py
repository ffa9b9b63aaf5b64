"""Co-optation in reports: the co-opters thanked, and co-opted newcomers against the others.

The co-opters are counted and thanked by name in alphabetical order, never ranked:
no member's own count is shown anywhere. Names reach moderators' reports only.

The cohort is the report's own (`retention`): members who arrived 60 to 30 days
before the period's end, so each one's 30 days are over. A newcomer posted when they
wrote a message or a reply in their first 30 days, and stayed when active on a day
30 days or more after the day they arrived. Figures come in pairs, co-opted then
others, each with its cohort size, so a handful of co-opted newcomers reads as such.
"""

from __future__ import annotations

from datetime import timedelta

from bot.analytics import METRICS, Figure, Period, Scope, share
from bot.config import CommunityConfig
from bot.features.invites._config import InvitesConfig
from bot.storage import UnitOfWork
from bot.storage.invites import Invites

WINDOW = timedelta(days=30)


async def cooptation_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return the co-opters thanked, then how co-opted newcomers and others post and stay."""
    return await coopters_thanked(uow, scope, period) + await newcomer_rates(uow, scope, period)


async def newcomer_rates(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return the first-post and 30-day retention rates of co-opted newcomers and of others."""
    until = period.until - WINDOW
    newcomers = await uow.repository(Invites).newcomers(
        scope.community_id,
        since=until - WINDOW,
        until=until,
        window=WINDOW,
        last_day=period.last_day,
        exclude=scope.exclude,
    )
    if not any(n.coopted for n in newcomers):
        return []
    figures: list[Figure] = []
    for side, coopted in (("coopted", True), ("others", False)):
        group = [n for n in newcomers if n.coopted is coopted]
        figures += [
            Figure(
                key=f"report.figures.{side}_first_post",
                value=share(sum(n.posted for n in group), len(group)),
                unit="share",
                variables={"cohort": len(group)},
            ),
            Figure(
                key=f"report.figures.{side}_retention",
                value=share(sum(n.retained for n in group), len(group)),
                unit="share",
                variables={"cohort": len(group)},
            ),
        ]
    return figures


async def coopters_thanked(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return how many members brought newcomers in the period, thanked by name, never ranked.

    The names are in alphabetical order and carry no count each: the moderators'
    report reads them, the digest posted in a channel shows the number alone.
    """
    names = await uow.repository(Invites).coopters(
        scope.community_id, since=period.since, until=period.until, exclude=scope.exclude
    )
    if not names:
        return []
    return [Figure(key="report.figures.coopters", value=len(names), names=tuple(names))]


def coopts(community: CommunityConfig) -> bool:
    """Return whether co-optation runs in `community`."""
    return community.section(InvitesConfig).enabled


def register() -> None:
    """Add the co-opted newcomers' figures to reports where co-optation runs."""
    METRICS.register("invites", cooptation_figures, serves=coopts)
