"""Café figures in reports: rounds and groups of the period, how many met, new connections."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.analytics import METRICS, Figure, Period, Scope, share
from bot.config import CommunityConfig
from bot.features.cafe._config import cafe_config
from bot.features.cafe._stats import cafe_stats
from bot.storage import UnitOfWork


def _key(name: str) -> str:
    return f"cafe.figures.{name}"


async def cafe_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return the figures of the café rounds planned in `period`."""
    since = datetime.combine(period.start, time(), tzinfo=UTC)
    until = datetime.combine(period.end, time(), tzinfo=UTC)
    stats = await cafe_stats(uow, scope.community_id, since=since, until=until)
    return [
        Figure(key=_key("rounds"), value=stats.rounds),
        Figure(key=_key("groups"), value=stats.groups),
        Figure(
            key=_key("met"),
            value=share(stats.met, stats.checked),
            unit="share",
            variables={"met": stats.met, "checked": stats.checked},
        ),
        Figure(
            key=_key("repeats"),
            value=share(stats.repeats, stats.groups),
            unit="share",
            variables={"repeats": stats.repeats, "groups": stats.groups},
        ),
        Figure(
            key=_key("connections"),
            value=stats.connected,
            variables={"strangers": stats.strangers},
        ),
    ]


def serves(community: CommunityConfig) -> bool:
    """Return whether cafés run in `community` (its reports show their figures)."""
    return cafe_config(community).enabled


def register() -> None:
    """Add the café's figures to the reports of communities where cafés run."""
    METRICS.register("cafe", cafe_figures, serves=serves)
