"""Icebreaker conversion and level movements in reports.

Conversion is the icebreaker's own (`conversions`, as `/terreau icebreaker stats`
shows it): an invitation or welcome converts when the member posts or reacts within
7 days. A period's rate looks at the invitations whose 7 days ended in it, so every
one of them can be told apart (a rate over the week's own invitations would only
know those already answered). Outcomes the nightly refresh has not stored yet are
read from the log the same way, without writing.

Level movements compare the monthly snapshots of the last two months complete by
the period's end: members whose level rose, stayed or fell. Levels rank core,
active, occasional, then quiet and never spoke; a newcomer's level (new) says when
they came, not how they take part, so members new in either month are not compared.

Members the report excludes count in neither: their invitations and welcomes are
left out, and so are their level movements.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from datetime import date, datetime, timedelta

from bot.activity import Level, month_of
from bot.analytics import METRICS, Figure, Period, Scope, share
from bot.config import CommunityConfig
from bot.features.icebreaker._config import IcebreakerConfig
from bot.features.icebreaker._outcomes import WITHIN_7D, conversions
from bot.storage import Invitation, UnitOfWork
from bot.storage.hosts import HostOffers

log = logging.getLogger(__name__)

NAMES_LISTED = 10
"""Members named (to moderators) per direction; the figure says how many more moved."""
RANKS = {
    Level.CORE.value: 3,
    Level.ACTIVE.value: 2,
    Level.OCCASIONAL.value: 1,
    Level.QUIET.value: 0,
    Level.NEVER_SPOKE.value: 0,
}
"""How far each level is from taking no part; `new` has no rank."""
_KINDS = {"invitation": "icebreaker", "welcome": "welcome"}
_DAY = timedelta(days=1)


def _key(name: str) -> str:
    return f"report.figures.{name}"


async def conversion_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return invitations and welcomes sent in `period`, and how many converted.

    Welcome figures appear only when the period sent welcomes or some welcome's 7 days
    ended in it (a community that does not welcome gets no line about it).
    """
    community_id = scope.community_id
    sent = Counter(await uow.icebreaker.sent_in(scope, period))
    now = uow.clock.now()
    cohort = await _with_outcomes(
        uow, community_id, await uow.icebreaker.answer_ended_in(scope, period, WITHIN_7D), now
    )
    rates = {c.label: c.within_7d for c in conversions(cohort, now, lambda r: r.kind)}
    figures: list[Figure] = []
    for kind in _KINDS:
        rate = rates.get(kind)
        if kind == "welcome" and not sent[kind] and rate is None:
            continue
        converted, known = (0, 0) if rate is None else (rate.converted, rate.known)
        name = _KINDS[kind]
        figures += [
            Figure(key=_key(f"{name}_sent"), value=sent[kind]),
            Figure(
                key=_key(f"{name}_converted"),
                value=share(converted, known),
                unit="share",
                variables={"converted": converted, "known": known},
            ),
        ]
    return figures


async def _with_outcomes(
    uow: UnitOfWork, community_id: int, invitations: list[Invitation], now: datetime
) -> list[Invitation]:
    """Return the invitations with their responses, read as `refresh_outcomes` reads them."""
    unknown = {
        index: (invitation.member_id, invitation.sent_at, min(now, invitation.sent_at + WITHIN_7D))
        for index, invitation in enumerate(invitations)
        if invitation.responded_at is None
        and invitation.retained is None
        and now > invitation.sent_at
    }
    responses = await uow.icebreaker.first_activities(community_id, list(unknown.values()))
    found = list(invitations)
    for index, responded in zip(unknown, responses, strict=True):
        found[index] = dataclasses.replace(found[index], responded_at=responded)
    return found


def compared_months(period: Period) -> tuple[date, date]:
    """Return the last two months complete by the period's end (earlier month first)."""
    after = month_of(month_of(period.end) - _DAY)
    return month_of(after - _DAY), after


async def level_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return how many members moved up, held or moved down a level, month to month.

    Nothing when either monthly snapshot is missing. The movers up and down are
    named (display names, as plain text), at most `NAMES_LISTED` each.
    """
    community_id = scope.community_id
    before, after = compared_months(period)
    moves = await uow.activity.level_moves(scope, before, after, ranks=RANKS, limit=NAMES_LISTED)
    counts = {"up": 0, "held": 0, "down": 0}
    for (was, now), count in moves.pairs.items():
        direction = _direction(was, now)
        if direction is not None:
            counts[direction] += count
    if not any(counts.values()) and not (
        await uow.activity.recorded(community_id, before)
        and await uow.activity.recorded(community_id, after)
    ):
        return []
    names = {"up": moves.up, "down": moves.down}
    months = {"before": before.isoformat()[:7], "after": after.isoformat()[:7]}
    return [
        Figure(
            key=_key(f"levels_{direction}"),
            value=counts[direction],
            variables=months,
            names=names.get(direction, ()),
            basis=f"{months['before']}..{months['after']}",
        )
        for direction in ("up", "held", "down")
    ]


def _direction(before: str, after: str) -> str | None:
    if before not in RANKS or after not in RANKS:
        return None
    change = RANKS[after] - RANKS[before]
    return "up" if change > 0 else "down" if change < 0 else "held"


async def host_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return the passengers who took the lead: members who accepted, with the offers' fate.

    Nothing when no offer was sent in the period. The members who accepted are
    named in alphabetical order, never ranked (moderators' report only).
    """
    found = await uow.repository(HostOffers).figures(
        scope.community_id, since=period.since, until=period.until, exclude=scope.exclude
    )
    if not found.sent:
        return []
    return [
        Figure(
            key=_key("took_the_lead"),
            value=len(found.names),
            variables={"sent": found.sent, "accepted": found.accepted, "hosted": found.hosted},
            names=found.names,
        )
    ]


def invites_hosts(community: CommunityConfig) -> bool:
    """Return whether moderators invite members to host in `community`."""
    config = community.section(IcebreakerConfig)
    return config.enabled and config.hosts.enabled


def breaks_the_ice(community: CommunityConfig) -> bool:
    """Return whether icebreakers run in `community` (its reports show their conversion)."""
    return community.section(IcebreakerConfig).enabled


def register() -> None:
    """Add icebreaker conversion and hosts (where enabled), level movements (everywhere)."""
    METRICS.register("icebreaker", conversion_figures, serves=breaks_the_ice)
    METRICS.register("levels", level_figures)
    METRICS.register("hosts", host_figures, serves=invites_hosts)
