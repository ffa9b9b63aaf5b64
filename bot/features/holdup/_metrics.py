"""Hold-ups in reports: those handed over in the period, their ideas and who brought them.

A hold-up counts in the period its outcome was handed over. Its contributors are
the members who brought at least one idea, each counted once over the period;
members the report excludes (`exclude_members`) are left out of ideas and
contributors alike.
"""

from __future__ import annotations

from bot.analytics import METRICS, Figure, Period, Scope
from bot.config import CommunityConfig
from bot.features.holdup._config import HoldupConfig
from bot.storage import UnitOfWork
from bot.storage.boards import Boards
from bot.storage.holdups import Holdups


def _key(name: str) -> str:
    return f"holdup.figures.{name}"


async def holdup_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return the hold-ups handed over in `period`, their ideas and contributors."""
    finished = await uow.repository(Holdups).finished(
        scope.community_id, period.since, period.until
    )
    if not finished:
        return []
    boards = uow.repository(Boards)
    ideas = 0
    contributors: set[str] = set()
    for holdup in finished:
        if holdup.board_id is None:
            continue
        for item in await boards.ranked(holdup.board_id):
            if scope.counts(item.author_id or None):
                ideas += 1
                contributors.add(item.author_id)
    return [
        Figure(key=_key("holdups"), value=len(finished)),
        Figure(key=_key("ideas"), value=ideas),
        Figure(key=_key("contributors"), value=len(contributors)),
    ]


def serves(community: CommunityConfig) -> bool:
    """Return whether hold-ups run in `community` (its reports show their figures)."""
    return community.section(HoldupConfig).enabled


def register() -> None:
    """Add the hold-ups' figures to the reports of communities where they run."""
    METRICS.register("holdup", holdup_figures, serves=serves)
