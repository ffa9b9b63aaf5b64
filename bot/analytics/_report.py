"""A report: every figure for a scope and period, compared with the period before."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.analytics._figures import Figure, gini, median, share, top_share
from bot.analytics._participation import (
    DayActivity,
    Participation,
    daily_activity,
    member_totals,
    newcomers,
    retention,
)
from bot.analytics._period import Period
from bot.analytics._providers import METRICS, MetricRegistry
from bot.analytics._questions import Question, in_period
from bot.analytics._scope import Scope
from bot.storage import UnitOfWork

log = logging.getLogger(__name__)


class Reads(Protocol):
    """Where a report reads: a database, or a feature's store."""

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Open a read-only unit of work."""
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
    questions: list[Question]


def _key(name: str) -> str:
    return f"report.figures.{name}"


async def _measure(uow: UnitOfWork, scope: Scope, period: Period, as_of: datetime) -> _Measured:
    conn = uow.connection
    daily = await daily_activity(conn, scope, period)
    totals = await member_totals(conn, scope, period)
    split, counts = totals.participation, totals.post_counts
    arrived = await newcomers(conn, scope, period)
    kept = await retention(conn, scope, period)
    asked = await in_period(conn, scope, period)
    waits = [w.total_seconds() / 3600 for q in asked if (w := q.waited()) is not None]
    eligible = [q for q in asked if q.asked_at + scope.unanswered_after <= as_of]
    unanswered = [q for q in eligible if q.unanswered_after(scope.unanswered_after, as_of)]
    hours = int(scope.unanswered_after.total_seconds() // 3600)
    figures = [
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
        Figure(key=_key("newcomers"), value=arrived),
        Figure(
            key=_key("retention"),
            value=share(kept.retained, kept.cohort),
            unit="share",
            variables={"cohort": kept.cohort},
        ),
        Figure(key=_key("questions"), value=len(asked)),
        Figure(key=_key("first_reply"), value=median(waits), unit="hours"),
        Figure(key=_key("unanswered"), value=len(unanswered), variables={"hours": hours}),
    ]
    return _Measured(figures=figures, daily=daily, participation=split, questions=unanswered)


async def _measure_alone(
    database: Reads,
    scope: Scope,
    period: Period,
    as_of: datetime,
    providers: MetricRegistry,
) -> _Measured:
    async with database.read() as uow:
        if uow.connection.dialect.name == "postgresql":
            # The questions query looks expensive to the planner, whose JIT compiler
            # then spends longer compiling it (half a second) than the lookups take.
            await uow.connection.exec_driver_sql("SET LOCAL jit = off")
        measured = await _measure(uow, scope, period, as_of)
        if scope.channel_id is None:
            for name, provider in providers:
                try:
                    measured.figures.extend(await provider(uow, scope, period))
                except Exception:
                    log.exception("metric provider %r failed; its figures are left out", name)
    return measured


async def build_report(
    database: Reads,
    scope: Scope,
    period: Period,
    *,
    as_of: datetime,
    providers: MetricRegistry = METRICS,
) -> Report:
    """Measure `scope` over `period` and the period before; providers add community figures.

    The two periods are measured at once, each in its own read-only snapshot, so
    a report takes the time of one period where the database can run two queries.
    """
    now, before = await asyncio.gather(
        _measure_alone(database, scope, period, as_of, providers),
        _measure_alone(database, scope, period.previous(), as_of, providers),
    )
    earlier = {figure.identity: figure for figure in before.figures}
    still_open = [q for q in now.questions if q.answered_at is None]
    return Report(
        scope=scope,
        period=period,
        as_of=as_of,
        figures=tuple(figure.compared(earlier.get(figure.identity)) for figure in now.figures),
        daily=tuple(now.daily),
        participation=now.participation,
        unanswered=tuple(reversed(still_open[-UNANSWERED_LISTED:])),
    )
