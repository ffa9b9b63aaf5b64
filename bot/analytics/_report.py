"""A report: every figure for a scope and period, compared with the period before."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._channels import ChannelActivity, channel_activity
from bot.analytics._cohorts import COHORT_MONTHS, STAYED_AFTER, Cohorts, cohorts
from bot.analytics._figures import Figure, gini, median, share, top_share
from bot.analytics._hours import Heatmap, heatmap, settle_hours
from bot.analytics._months import (
    StoredMonth,
    month_number,
    scope_key,
    settled_until,
    store_months,
    stored_months,
)
from bot.analytics._participation import (
    DayActivity,
    MemberTotals,
    Participation,
    Retention,
    daily_activity,
    member_totals,
    newcomers,
    retention,
    settled_before,
    store_days,
    stored_days,
)
from bot.analytics._period import Period
from bot.analytics._posts import PostFigures, post_figures
from bot.analytics._providers import METRICS, MetricRegistry
from bot.analytics._questions import (
    Question,
    QuestionFigures,
    question_figures,
    settle_answers,
)
from bot.analytics._scope import Measured, Scope
from bot.analytics._trends import Month, Trends, count_months, trends_of
from bot.storage import UnitOfWork

log = logging.getLogger(__name__)


class Reads(Protocol):
    """Where a report reads (and stores what it counted): a database, or a feature's store."""

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Open a read-only unit of work."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Open a read-write unit of work."""
        ...


UNANSWERED_LISTED = 10


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    """Figures of one scope over one period (with the previous period's values)."""

    scope: Scope
    period: Period
    as_of: datetime
    figures: tuple[Figure, ...]
    daily: tuple[DayActivity, ...]
    participation: Participation
    unanswered: tuple[Question, ...]
    hours: Heatmap | None = None
    """Posts and reactions by local weekday and hour over the period."""
    channels: tuple[ChannelActivity, ...] = ()
    """Each channel's figures (community reports only), busiest first."""
    cohorts: Cohorts | None = None
    """Newcomers by month of arrival over twelve months (community reports only)."""
    trends: Trends | None = None
    """The last twelve complete months, month by month (community reports only)."""
    posts: PostFigures | None = None
    """Ritual posts of those twelve months by ritual and prompt (community reports only)."""

    def figure(self, key: str) -> Figure:
        """Return the first figure whose key ends with `key` (e.g. `rowers`)."""
        for figure in self.figures:
            if figure.key == key or figure.key.endswith(f".{key}"):
                return figure
        raise KeyError(key)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Measured:
    figures: list[Figure]
    daily: list[DayActivity]
    participation: Participation
    still_open: list[Question]
    hours: Heatmap | None
    channels: list[ChannelActivity]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Months:
    cohorts: Cohorts
    trends: Trends
    posts: PostFigures


async def _months_alone(database: Reads, scope: Scope, end: date, as_of: datetime) -> _Months:
    """Measure the twelve months complete by `end` in a snapshot of their own.

    Months stored by an earlier report are read; what this one counted of months
    settled by `as_of` and not stored yet is stored afterwards, in a write of its own.
    """
    last = month_number(end) - 1
    first = last - COHORT_MONTHS + 1
    key = scope_key(scope.exclude)
    async with database.read() as uow:
        conn = uow.connection
        await _tune(conn)
        stored = await stored_months(conn, scope.community_id, key, first, last)
        newcomers = await cohorts(conn, scope, end, stored=stored)
        months = await count_months(conn, scope, end, newcomers, stored=stored)
        posts = await post_figures(conn, scope, end)
    settled = _settled(newcomers, months, stored, first, min(last, settled_until(as_of)))
    if settled:
        async with database.transaction() as uow:
            await store_months(uow.connection, scope.community_id, key, settled)
    return _Months(cohorts=newcomers, trends=trends_of(months), posts=posts)


def _settled(
    newcomers: Cohorts,
    months: list[Month],
    stored: dict[int, StoredMonth],
    first: int,
    settled: int,
) -> dict[int, StoredMonth]:
    """Return what was counted of settled months beyond what was stored of them."""
    found = {}
    for number in range(first, settled + 1):
        month = months[number - first]
        cohort = newcomers.cohorts[number - first]
        compared = newcomers.by_cohort.get(number) if number + STAYED_AFTER <= settled else None
        counted = StoredMonth(
            active=month.active,
            present=month.present,
            rowers=month.rowers,
            posts=month.posts,
            top_posts=month.top_posts,
            newcomers=cohort.members,
            kept=cohort.active[: settled - number],
            compared=(
                None
                if compared is None
                else {comparison.action: comparison.counts() for comparison in compared}
            ),
        )
        known = stored.get(number)
        if (
            known is None
            or len(counted.kept) > len(known.kept)
            or (known.compared is None and counted.compared is not None)
        ):
            found[number] = counted
    return found


def _key(name: str) -> str:
    return f"report.figures.{name}"


@dataclass(frozen=True, kw_only=True, slots=True)
class _Taking:
    """What the members' activity tells of a period: it needs nothing a report stores."""

    daily: list[DayActivity]
    totals: MemberTotals
    arrived: int
    kept: Retention


async def _participation(database: Reads, scope: Scope, period: Period, as_of: datetime) -> _Taking:
    """Read a period's members' activity; then store the days settled since the last report.

    A community's days come from the stored days where they can (a channel's are
    always counted from the log).
    """
    promised = None if scope.measured is None else scope.measured.promise(period)
    key = scope_key(scope.exclude)
    try:
        async with database.read() as uow:
            conn = uow.connection
            await _tune(conn)
            totals = await member_totals(conn, scope, period)
            if promised is not None:
                split = totals.participation
                promised.set_result(split.rowers + split.reactors)
            stored = (
                await stored_days(conn, scope.community_id, key, period)
                if scope.channel_id is None
                else {}
            )
            taking = _Taking(
                daily=await daily_activity(conn, scope, period, stored=stored),
                totals=totals,
                arrived=await newcomers(conn, scope, period),
                kept=await retention(conn, scope, period),
            )
    except BaseException as exc:
        if promised is not None and not promised.done():
            promised.set_exception(
                RuntimeError(f"the members' activity of {period} could not be read: {exc!r}")
            )
        raise
    settled = settled_before(as_of)
    fresh = [d for d in taking.daily if d.day < settled and d.day not in stored]
    if fresh and scope.channel_id is None:
        async with database.transaction() as uow:
            await store_days(uow.connection, scope.community_id, key, fresh)
    return taking


async def _tune(conn: AsyncConnection) -> None:
    """Set a PostgreSQL read transaction for a report's large reads."""
    if conn.dialect.name == "postgresql":
        # One round trip, for this transaction only:
        # - jit: the questions query looks expensive to the planner, whose JIT compiler
        #   then spends longer compiling it (half a second) than the lookups take;
        # - work_mem: grouping a period's million rollup rows by member spills to disk
        #   with the default 4 MB;
        # - no parallel workers: a report's units already run side by side, and
        #   workers added to each only share the same cores, at the cost of gathering
        #   (PostgreSQL with every feature, 100,000 members: medians 2.07 s against 2.4 s).
        await conn.exec_driver_sql(
            "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class _Stored:
    """What a period reads of what the report stored."""

    asked: QuestionFigures
    hours: Heatmap | None
    channels: list[ChannelActivity]


async def _from_stored(
    database: Reads,
    scope: Scope,
    period: Period,
    as_of: datetime,
    *,
    with_hours: bool = False,
) -> _Stored:
    async with database.read() as uow:
        conn = uow.connection
        await _tune(conn)
        asked = await question_figures(conn, scope, period, as_of, listed=UNANSWERED_LISTED)
        hours = await heatmap(conn, scope, period, as_of, asked.waits) if with_hours else None
        channels = (
            await channel_activity(conn, scope, period)
            if with_hours and scope.channel_id is None
            else []
        )
    return _Stored(asked=asked, hours=hours, channels=channels)


async def _provided(
    database: Reads, scope: Scope, period: Period, providers: MetricRegistry
) -> list[Figure]:
    """Return the providers' figures of a community's period (none for a channel)."""
    provided: list[Figure] = []
    if scope.channel_id is not None:
        return provided
    async with database.read() as uow:
        await _tune(uow.connection)
        for name, provider in providers:
            try:
                provided.extend(await provider(uow, scope, period))
            except Exception:
                log.exception("metric provider %r failed; its figures are left out", name)
    return provided


def _measured(
    scope: Scope, period: Period, taking: _Taking, stored: _Stored, provided: list[Figure]
) -> _Measured:
    return _Measured(
        figures=_figures(scope, period, taking, stored.asked) + provided,
        daily=taking.daily,
        participation=taking.totals.participation,
        still_open=stored.asked.still_open,
        hours=stored.hours,
        channels=stored.channels,
    )


def _figures(scope: Scope, period: Period, taking: _Taking, asked: QuestionFigures) -> list[Figure]:
    daily, totals, kept = taking.daily, taking.totals, taking.kept
    split, counts = totals.participation, totals.post_counts
    waits = [waited for _asked, waited in asked.waits]
    hours = int(scope.unanswered_after.total_seconds() // 3600)
    return [
        Figure(key=_key("active"), value=split.rowers + split.reactors),
        Figure(key=_key("dau"), value=sum(d.active for d in daily) / period.days, unit="average"),
        Figure(key=_key("wau"), value=totals.active_last_7_days),
        Figure(key=_key("mau"), value=totals.active_last_30_days),
        Figure(key=_key("present"), value=split.present),
        Figure(key=_key("rowers"), value=share(split.rowers, split.present), unit="share"),
        Figure(key=_key("reactors"), value=share(split.reactors, split.present), unit="share"),
        Figure(key=_key("passengers"), value=share(split.passengers, split.present), unit="share"),
        Figure(key=_key("top_share"), value=top_share(counts), unit="share"),
        Figure(key=_key("gini"), value=gini(counts), unit="ratio"),
        Figure(key=_key("newcomers"), value=taking.arrived),
        Figure(
            key=_key("retention"),
            value=share(kept.retained, kept.cohort),
            unit="share",
            variables={"cohort": kept.cohort},
        ),
        Figure(key=_key("questions"), value=asked.asked),
        Figure(key=_key("first_reply"), value=median(waits), unit="hours"),
        Figure(key=_key("unanswered"), value=asked.unanswered, variables={"hours": hours}),
    ]


async def _settle(database: Reads, scope: Scope, period: Period, as_of: datetime) -> None:
    async with database.transaction() as uow:
        await settle_hours(uow.connection, scope.community_id, as_of)
        await settle_answers(
            uow.connection, scope.community_id, period.previous().since, period.until
        )


async def _together(*units: Awaitable[Any]) -> list[Any]:
    """Run units at once and return their results; if one fails, stop the others first.

    A unit left running after the report failed would hold its connection open.
    """
    tasks = [asyncio.ensure_future(unit) for unit in units]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def build_report(
    database: Reads,
    scope: Scope,
    period: Period,
    *,
    as_of: datetime,
    providers: MetricRegistry = METRICS,
) -> Report:
    """Measure `scope` over `period` and the period before; providers add community figures.

    Units of work run at once: one write transaction adds the log's complete hours
    not counted yet to the hourly counts and looks up and stores the first answers of
    questions of both periods that have none stored, while each period's members'
    activity (daily, per member, newcomers, retention) is read in its own read-only
    unit, and each period's providers' figures in another. As soon as the write is
    done, each period reads its questions and hours from what is stored, in a unit of
    its own, while the rest may still be read. A community's report reads the twelve
    months (newcomer cohorts, monthly trends, ritual posts) in a unit of its own
    meanwhile. A report so takes the time of its longest chain where the database can
    run queries side by side.
    """
    before = period.previous()
    asked = scope
    if scope.channel_id is None:
        # Providers (games' share of active members) await what the members' activity counts.
        measured = Measured()
        for promised in (period, before):
            measured.promise(promised)
        scope = dataclasses.replace(scope, measured=measured)

    async def settled() -> tuple[_Stored, _Stored]:
        await _settle(database, scope, period, as_of)
        now, earlier = await _together(
            _from_stored(database, scope, period, as_of, with_hours=True),
            _from_stored(database, scope, before, as_of),
        )
        return now, earlier

    # Members' activity, the providers' figures (which read nothing the write stores)
    # and the twelve months (community reports) each in units of their own, at once.
    others = (
        _participation(database, scope, period, as_of),
        _participation(database, scope, before, as_of),
        _provided(database, scope, period, providers),
        _provided(database, scope, before, providers),
    )
    twelve: _Months | None = None
    if scope.channel_id is None:
        (
            now_taking,
            before_taking,
            now_provided,
            before_provided,
            (now_stored, before_stored),
            twelve,
        ) = await _together(*others, settled(), _months_alone(database, scope, period.end, as_of))
    else:
        (
            now_taking,
            before_taking,
            now_provided,
            before_provided,
            (now_stored, before_stored),
        ) = await _together(*others, settled())
    now = _measured(scope, period, now_taking, now_stored, now_provided)
    earlier_measured = _measured(scope, before, before_taking, before_stored, before_provided)
    earlier = {figure.identity: figure for figure in earlier_measured.figures}
    return Report(
        scope=asked,
        period=period,
        as_of=as_of,
        figures=tuple(figure.compared(earlier.get(figure.identity)) for figure in now.figures),
        daily=tuple(now.daily),
        participation=now.participation,
        unanswered=tuple(now.still_open),
        hours=now.hours,
        channels=tuple(now.channels),
        cohorts=twelve.cohorts if twelve else None,
        trends=twelve.trends if twelve else None,
        posts=twelve.posts if twelve else None,
    )
