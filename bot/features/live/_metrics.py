"""Live session figures in reports: sessions, participants, and who had never posted before."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.analytics import METRICS, Figure, Period, Scope, share
from bot.config import CommunityConfig
from bot.features.live._config import LiveConfig
from bot.storage import UnitOfWork
from bot.storage.live import LiveSessions


def _key(name: str) -> str:
    return f"live.figures.{name}"


async def live_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return the figures of the live sessions that ended in `period`."""
    since = datetime.combine(period.start, time(), tzinfo=UTC)
    until = datetime.combine(period.end, time(), tzinfo=UTC)
    found = await uow.repository(LiveSessions).figures(scope.community_id, since, until)
    return [
        Figure(key=_key("sessions"), value=found.sessions),
        Figure(key=_key("participants"), value=found.participants),
        Figure(
            key=_key("first_timers"),
            value=share(found.first_timers, found.participants),
            unit="share",
            variables={"first_timers": found.first_timers, "participants": found.participants},
        ),
    ]


def serves(community: CommunityConfig) -> bool:
    """Return whether live sessions run in `community` (its reports show their figures)."""
    return community.section(LiveConfig).enabled


def register() -> None:
    """Add the live sessions' figures to the reports of communities that hold them."""
    METRICS.register("live", live_figures, serves=serves)
