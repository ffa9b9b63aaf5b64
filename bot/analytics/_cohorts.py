"""Who stays: newcomers grouped by the month they arrived, and who was still active later.

A member belongs to the cohort of the calendar month (UTC) they joined in (or were
first seen in); they count as still active `k` months later when the daily rollups
hold any activity of theirs in the `k`-th calendar month after that one. Only
months complete by the report's end are counted. Activity comes from the rollups,
one row per newcomer and month back, so twelve months cost what the newcomers do.

Alongside, what newcomers did or got in their first days is compared with whether
they were active in the second month after the one they arrived in: members
welcomed, invited by an icebreaker or who played a game, against those who were
not. A comparison, never a cause.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

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


def month_number(day: date) -> int:
    """Return a month as a count of months since year 0 (consecutive months differ by 1)."""
    return day.year * 12 + day.month - 1


def month_of(day: ColumnElement[date], dialect: str) -> ColumnElement[object]:
    """Return the month of a rollup day as cheaply as the database can tell it.

    SQLite keeps days as ISO text: its first 7 characters; PostgreSQL: the month's first day.
    """
    if dialect == "postgresql":
        return func.date_trunc("month", day)
    return func.substr(day, 1, 7, type_=String())


def month_number_of(value: object) -> int:
    """Return the `month_number` of what `month_of` read (a date, a datetime or text)."""
    if isinstance(value, date):
        return month_number(value)
    year, month = str(value)[:7].split("-")
    return int(year) * 12 + int(month) - 1


def month_start(number: int) -> date:
    """Return the first day of the month numbered by `month_number`."""
    return date(number // 12, number % 12 + 1, 1)


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
    conn: AsyncConnection, scope: Scope, end: date, *, months: int = COHORT_MONTHS
) -> Cohorts:
    """Return the newcomer cohorts of the `months` calendar months complete by `end`.

    A month is complete when `end` (the first day not counted) is on or after the
    first day of the next one; newcomers of the month still running are left out.
    """
    complete = last = month_number(end) - 1
    first = last - months + 1
    since = datetime.combine(month_start(first), datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(month_start(last + 1), datetime.min.time(), tzinfo=UTC)
    arrival = func.coalesce(_members.joined_at, _members.first_seen_at)
    is_newcomer = and_(
        _members.community_id == scope.community_id,
        _members.is_bot.is_(False),
        arrival >= since,
        arrival < until,
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
                    _activity.day >= month_start(first),
                    _activity.day < month_start(last + 1),
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
    members_of: dict[int, list[str]] = defaultdict(list)
    for member, joined in arrived.items():
        members_of[month_number(joined.date())].append(member)
    built = []
    for number in range(first, last + 1):
        group = members_of.get(number, [])
        counts = tuple(
            sum(1 for member in group if number + k in active[member])
            for k in range(1, complete - number + 1)
        )
        built.append(Cohort(month=month_start(number), members=len(group), active=counts))
    followed = {
        member: month_number(joined.date()) + STAYED_AFTER in active[member]
        for member, joined in arrived.items()
        if month_number(joined.date()) + STAYED_AFTER <= complete
    }
    did = await _first_actions(conn, scope, arrived, since, until)
    comparisons = tuple(_compare(action, followed, did.get(action, set())) for action in ACTIONS)
    return Cohorts(cohorts=tuple(built), comparisons=comparisons)


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
