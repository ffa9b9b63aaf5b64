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

from sqlalchemy import ColumnElement, and_, case, exists, func, select

from bot.activity import Level, month_of
from bot.analytics import METRICS, Figure, Period, Scope, share
from bot.config import CommunityConfig
from bot.features.icebreaker._outcomes import WITHIN_7D, conversions
from bot.storage import ActivityLevelRow, Invitation, UnitOfWork
from bot.storage._icebreaker_rows import invitation_of
from bot.storage.icebreaker import INVITATION_KINDS, InvitationRow
from bot.storage.models import MemberRow

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
_inv = InvitationRow.__table__.c
_members = MemberRow.__table__.c
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
    in_period = and_(
        _inv.community_id == community_id,
        _inv.sent_at >= period.since,
        _inv.sent_at < period.until,
        scope.keeps(_inv.member_id),
    )
    sent: Counter[str] = Counter()
    stmt = select(_inv.kind, func.count()).where(in_period).group_by(_inv.kind)
    for kind, count in await uow.connection.execute(stmt):
        sent[str(kind)] = int(count)
    now = uow.clock.now()
    cohort = [
        await _with_outcome(uow, community_id, invitation, now)
        for invitation in await _ended_in(uow, scope, period)
    ]
    rates = {c.label: c.within_7d for c in conversions(cohort, now, lambda r: r.kind)}
    figures: list[Figure] = []
    for kind in INVITATION_KINDS:
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


async def _ended_in(uow: UnitOfWork, scope: Scope, period: Period) -> list[Invitation]:
    """Return the invitations and welcomes whose 7 days to answer ended in `period`."""
    stmt = (
        select(InvitationRow.__table__)
        .where(
            _inv.community_id == scope.community_id,
            _inv.sent_at >= period.since - WITHIN_7D,
            _inv.sent_at < period.until - WITHIN_7D,
            scope.keeps(_inv.member_id),
        )
        .order_by(_inv.sent_at, _inv.id)
    )
    return [invitation_of(row) for row in await uow.connection.execute(stmt)]


async def _with_outcome(
    uow: UnitOfWork, community_id: int, invitation: Invitation, now: datetime
) -> Invitation:
    """Return the invitation with its response, read as `refresh_outcomes` reads it."""
    if invitation.responded_at is not None or invitation.retained is not None:
        return invitation
    until = min(now, invitation.sent_at + WITHIN_7D)
    if until <= invitation.sent_at:
        return invitation
    responded = await uow.icebreaker.first_activity(
        community_id, invitation.member_id, invitation.sent_at, until
    )
    return dataclasses.replace(invitation, responded_at=responded)


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
    earlier = ActivityLevelRow.__table__.alias("earlier")
    later = ActivityLevelRow.__table__.alias("later")
    joined = earlier.join(
        later,
        and_(
            later.c.community_id == earlier.c.community_id,
            later.c.member_id == earlier.c.member_id,
            later.c.month == after,
        ),
    ).join(
        MemberRow.__table__,
        and_(
            _members.community_id == earlier.c.community_id,
            _members.member_id == earlier.c.member_id,
        ),
    )
    where = (
        earlier.c.community_id == community_id,
        earlier.c.month == before,
        _members.is_bot.is_(False),
        scope.keeps(earlier.c.member_id),
    )
    pairs = (
        select(earlier.c.level, later.c.level, func.count())
        .select_from(joined)
        .where(*where)
        .group_by(earlier.c.level, later.c.level)
    )
    counts = {"up": 0, "held": 0, "down": 0}
    for was, now, count in await uow.connection.execute(pairs):
        direction = _direction(str(was), str(now))
        if direction is not None:
            counts[direction] += int(count)
    if not any(counts.values()) and not await _both_recorded(uow, community_id, before, after):
        return []
    rank_before, rank_after = _rank(earlier.c.level), _rank(later.c.level)
    names: dict[str, tuple[str, ...]] = {}
    for direction, moved in (("up", rank_after > rank_before), ("down", rank_after < rank_before)):
        if not counts[direction]:
            continue
        stmt = (
            select(_members.display_name)
            .select_from(joined)
            .where(*where, moved)
            .order_by(_members.display_name, _members.member_id)
            .limit(NAMES_LISTED)
        )
        names[direction] = tuple((await uow.connection.execute(stmt)).scalars())
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


def _rank(level: ColumnElement[str]) -> ColumnElement[int]:
    return case(RANKS, value=level, else_=None)


async def _both_recorded(uow: UnitOfWork, community_id: int, before: date, after: date) -> bool:
    levels = ActivityLevelRow.__table__.c
    for month in (before, after):
        recorded = exists(
            select(levels.member_id).where(
                levels.community_id == community_id, levels.month == month
            )
        )
        if not (await uow.connection.execute(select(recorded))).scalar_one():
            return False
    return True


def breaks_the_ice(community: CommunityConfig) -> bool:
    """Return whether icebreakers run in `community` (its reports show their conversion)."""
    return community.icebreaker.enabled


def register() -> None:
    """Add icebreaker conversion (where enabled) and level movements (everywhere) to reports."""
    METRICS.register("icebreaker", conversion_figures, serves=breaks_the_ice)
    METRICS.register("levels", level_figures)
