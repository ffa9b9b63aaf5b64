"""Who stays: newcomers grouped by the month they arrived, and who was still active later.

A member belongs to the cohort of the calendar month (UTC) they joined in (or were
first seen in); they count as still active `k` months later when the daily rollups
hold any activity of theirs in the `k`-th calendar month after that one. Only
months complete by the report's end are counted. Activity comes from the rollups,
one row per newcomer and month back, so twelve months cost what the newcomers do;
what reports stored of settled months is read instead of counted again.

Alongside, what newcomers did or got in their first days is compared with whether
they were active in the second month after the one they arrived in: members
welcomed, invited by an icebreaker or who played a game, against those who were
not. A comparison, never a cause.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._months import (
    StoredMonth,
    month_number,
    month_number_of,
    month_of,
    month_start,
)
from bot.analytics._scope import Scope
from bot.storage._icebreaker_rows import InvitationRow
from bot.storage.analytics import CHOICE_ROWS
from bot.storage.models import ActivityDailyRow, InteractionLogRow, MemberRow

log = logging.getLogger(__name__)

_members = MemberRow.__table__.c
_activity = ActivityDailyRow.__table__.c
_invitations = InvitationRow.__table__.c
_log = InteractionLogRow.__table__.c

COHORT_MONTHS = 12
"""How many months of newcomers a report follows."""
FIRST_DAYS = timedelta(days=14)
"""What a newcomer did or got within this long of arriving counts as a first action."""
STAYED_AFTER = 2
"""A newcomer compared stayed when active in the second calendar month after arriving.

Always after their first days are over (at least 28 days after them), so the first
action never counts as the staying it is compared with.
"""
MIN_NEWCOMERS = 20
"""Newcomers whose month after is known needed before retention is shown at all."""
MIN_GROUP = 10
"""Members needed on each side of a comparison (did the action, did not)."""
ACTIONS = ("welcomed", "invited", "played")


@dataclass(frozen=True, kw_only=True, slots=True)
class Cohort:
    """Newcomers of one month, and how many were active 1, 2, 3… months later."""

    month: date
    members: int
    active: tuple[int, ...]
    """`active[k - 1]`: members active `k` months later, for each month complete so far."""

    def shares(self) -> tuple[float | None, ...]:
        """Return the share of the cohort active 1, 2, 3… months later (None if empty)."""
        return tuple(count / self.members if self.members else None for count in self.active)


@dataclass(frozen=True, kw_only=True, slots=True)
class Comparison:
    """Newcomers who did (or got) a first action, those who did not, and who stayed of each."""

    action: str
    did: int
    did_stayed: int
    did_not: int
    did_not_stayed: int

    @property
    def shown(self) -> bool:
        """Tell whether both groups are large enough to be compared."""
        return self.did >= MIN_GROUP and self.did_not >= MIN_GROUP

    def __add__(self, other: Comparison) -> Comparison:
        return Comparison(
            action=self.action,
            did=self.did + other.did,
            did_stayed=self.did_stayed + other.did_stayed,
            did_not=self.did_not + other.did_not,
            did_not_stayed=self.did_not_stayed + other.did_not_stayed,
        )

    def counts(self) -> tuple[int, int, int, int]:
        """Return did, stayed of them, did not, stayed of them (as stored)."""
        return (self.did, self.did_stayed, self.did_not, self.did_not_stayed)

    @property
    def did_share(self) -> float | None:
        """Return the share who stayed among those who did it."""
        return self.did_stayed / self.did if self.did else None

    @property
    def did_not_share(self) -> float | None:
        """Return the share who stayed among those who did not."""
        return self.did_not_stayed / self.did_not if self.did_not else None


@dataclass(frozen=True, kw_only=True, slots=True)
class Cohorts:
    """Each month's newcomers and their retention, and first actions compared."""

    cohorts: tuple[Cohort, ...]
    comparisons: tuple[Comparison, ...]
    by_cohort: Mapping[int, tuple[Comparison, ...]] = field(default_factory=dict)
    """Each cohort's own comparisons, by month number (those the sums are made of)."""

    @property
    def followed(self) -> int:
        """Return the newcomers whose month after is complete (what retention rests on)."""
        return sum(cohort.members for cohort in self.cohorts if cohort.active)

    @property
    def compared(self) -> int:
        """Return the newcomers the first actions are compared on."""
        return self.comparisons[0].did + self.comparisons[0].did_not if self.comparisons else 0

    @property
    def enough(self) -> bool:
        """Tell whether enough newcomers are followed for retention to be shown."""
        return self.followed >= MIN_NEWCOMERS


async def cohorts(
    conn: AsyncConnection,
    scope: Scope,
    end: date,
    *,
    months: int = COHORT_MONTHS,
    stored: Mapping[int, StoredMonth] | None = None,
) -> Cohorts:
    """Return the newcomer cohorts of the `months` calendar months complete by `end`.

    A month is complete when `end` (the first day not counted) is on or after the
    first day of the next one; newcomers of the month still running are left out.
    What `stored` holds of a cohort (its size, its months after, its comparisons) is
    taken as is; only the rest is counted, from the first month it needs.
    """
    stored = stored or {}
    complete = last = month_number(end) - 1
    first = last - months + 1
    counted: list[int] = []
    wanted: list[int] = []
    for number in range(first, last + 1):
        known = stored.get(number)
        kept = len(known.kept) if known else 0
        compare = number + STAYED_AFTER <= complete and (known is None or known.compared is None)
        if known is None or number + kept < complete or compare:
            counted.append(number)
            wanted.append(
                min(number + kept + 1, number + STAYED_AFTER) if compare else number + kept + 1
            )
    arrived: dict[str, datetime] = {}
    active: dict[str, set[int]] = defaultdict(set)
    if counted:
        arrived, active = await _newcomers(conn, scope, counted[0], counted[-1], min(wanted), last)
    members_of: dict[int, list[str]] = defaultdict(list)
    for member, joined in arrived.items():
        members_of[month_number(joined.date())].append(member)
    built = []
    for number in range(first, last + 1):
        known = stored.get(number)
        group = members_of.get(number, [])
        earlier = known.kept if known else ()
        counts = tuple(
            earlier[k - 1]
            if k <= len(earlier)
            else sum(1 for m in group if number + k in active[m])
            for k in range(1, complete - number + 1)
        )
        size = known.newcomers if known else len(group)
        built.append(Cohort(month=month_start(number), members=size, active=counts))
    compared = await _comparisons(conn, scope, stored, members_of, arrived, active, first, last)
    totals = tuple(
        sum(
            (each[index] for each in compared.values()),
            Comparison(action=action, did=0, did_stayed=0, did_not=0, did_not_stayed=0),
        )
        for index, action in enumerate(ACTIONS)
    )
    return Cohorts(cohorts=tuple(built), comparisons=totals, by_cohort=compared)


async def _newcomers(
    conn: AsyncConnection, scope: Scope, first: int, last: int, active_from: int, until: int
) -> tuple[dict[str, datetime], dict[str, set[int]]]:
    """Return newcomers of months `first` to `last` and their active months from `active_from`.

    One row per newcomer and month of activity between `active_from` and `until`.
    """
    since = datetime.combine(month_start(first), datetime.min.time(), tzinfo=UTC)
    before = datetime.combine(month_start(last + 1), datetime.min.time(), tzinfo=UTC)
    arrival = func.coalesce(_members.joined_at, _members.first_seen_at)
    is_newcomer = and_(
        _members.community_id == scope.community_id,
        _members.is_bot.is_(False),
        arrival >= since,
        arrival < before,
        scope.keeps(_members.member_id),
    )
    arrived: dict[str, datetime] = {}
    active: dict[str, set[int]] = defaultdict(set)
    month = month_of(_activity.day, conn.dialect.name)
    stmt = (
        select(_members.member_id, arrival, month)
        .select_from(
            MemberRow.__table__.outerjoin(
                ActivityDailyRow.__table__,
                and_(
                    _activity.community_id == _members.community_id,
                    _activity.member_id == _members.member_id,
                    _activity.day >= month_start(active_from),
                    _activity.day < month_start(until + 1),
                ),
            )
        )
        .where(is_newcomer)
        .group_by(_members.member_id, arrival, month)
    )
    for member, joined, active_month in await conn.execute(stmt):
        arrived[member] = joined if joined.tzinfo else joined.replace(tzinfo=UTC)
        if active_month is not None:
            active[member].add(month_number_of(active_month))
    return arrived, active


async def _comparisons(
    conn: AsyncConnection,
    scope: Scope,
    stored: Mapping[int, StoredMonth],
    members_of: Mapping[int, list[str]],
    arrived: Mapping[str, datetime],
    active: Mapping[str, set[int]],
    first: int,
    last: int,
) -> dict[int, tuple[Comparison, ...]]:
    """Return each cohort's comparisons, once its second month after is complete."""
    compared: dict[int, tuple[Comparison, ...]] = {}
    fresh: list[int] = []
    for number in range(first, last - STAYED_AFTER + 1):
        known = stored.get(number)
        if known is not None and known.compared is not None:
            compared[number] = tuple(
                Comparison(action=action, **dict(zip(_COUNTS, known.compared[action], strict=True)))
                for action in ACTIONS
            )
        else:
            fresh.append(number)
    if not fresh:
        return compared
    since = datetime.combine(month_start(fresh[0]), datetime.min.time(), tzinfo=UTC)
    until = min(
        datetime.combine(month_start(fresh[-1] + 1), datetime.min.time(), tzinfo=UTC) + FIRST_DAYS,
        datetime.combine(month_start(last + 1), datetime.min.time(), tzinfo=UTC),
    )
    followed = {
        member: arrived[member] for number in fresh for member in members_of.get(number, [])
    }
    did = await _first_actions(conn, scope, followed, since, until)
    for number in fresh:
        stayed = {
            member: number + STAYED_AFTER in active.get(member, ())
            for member in members_of.get(number, [])
        }
        compared[number] = tuple(
            _compare(action, stayed, did.get(action, set())) for action in ACTIONS
        )
    return dict(sorted(compared.items()))


_COUNTS = ("did", "did_stayed", "did_not", "did_not_stayed")


def _compare(action: str, stayed: dict[str, bool], did: set[str]) -> Comparison:
    yes = [kept for member, kept in stayed.items() if member in did]
    no = [kept for member, kept in stayed.items() if member not in did]
    return Comparison(
        action=action, did=len(yes), did_stayed=sum(yes), did_not=len(no), did_not_stayed=sum(no)
    )


async def _first_actions(
    conn: AsyncConnection,
    scope: Scope,
    arrived: dict[str, datetime],
    since: datetime,
    until: datetime,
) -> dict[str, set[str]]:
    """Return, per action, the newcomers who did or got it within their first days.

    Invitations and welcomes are read from the icebreaker's table, games from the
    partial index of button clicks; only newcomers' rows are kept (in Python, as few
    as the community's clicks and invitations over the months followed).
    """
    found: dict[str, set[str]] = defaultdict(set)
    invited = (
        select(_invitations.member_id, _invitations.kind, func.min(_invitations.sent_at))
        .where(
            _invitations.community_id == scope.community_id,
            _invitations.sent_at >= since,
            _invitations.sent_at < until,
        )
        .group_by(_invitations.member_id, _invitations.kind)
    )
    played = (
        select(_log.member_id, func.min(_log.occurred_at))
        .where(
            _log.community_id == scope.community_id,
            text(CHOICE_ROWS),
            _log.occurred_at >= since,
            _log.occurred_at < until,
        )
        .group_by(_log.member_id)
    )
    rows = [
        (member, "welcomed" if kind == "welcome" else "invited", at)
        for member, kind, at in await conn.execute(invited)
    ]
    rows += [(member, "played", at) for member, at in await conn.execute(played)]
    for member, action, at in rows:
        joined = arrived.get(member)
        if joined is None or at is None:
            continue
        when = at if at.tzinfo else at.replace(tzinfo=UTC)
        if when < joined + FIRST_DAYS:
            found[action].add(member)
    return found
