"""Game participation in reports: games held in a period, their answers, who played.

The counts come from `uow.games.game_counts` (see `bot/storage/games/_figures.py`
for what counts as held, answered and played); this module turns them into figures.
"""

from __future__ import annotations

import logging

from bot.analytics import METRICS, Figure, Period, Scope, share
from bot.config import CommunityConfig
from bot.features.games._config import GamesConfig
from bot.storage import UnitOfWork

log = logging.getLogger(__name__)


def _key(name: str) -> str:
    return f"report.figures.{name}"


async def game_figures(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return games held in `period`, their answers and players (nothing if none was held)."""
    counts = await uow.games.game_counts(scope, period, active=await scope.active_members(period))
    if counts is None:
        return []
    return [
        Figure(key=_key("game_players"), value=counts.played),
        Figure(
            key=_key("game_players_share"),
            value=share(counts.active_players, counts.active),
            unit="share",
            variables={"played": counts.active_players, "active": counts.active},
        ),
        Figure(key=_key("games_held"), value=sum(counts.held.values()), variables=counts.held),
        Figure(
            key=_key("game_answers"), value=sum(counts.answers.values()), variables=counts.answers
        ),
    ]


def plays_games(community: CommunityConfig) -> bool:
    """Return whether games are enabled in `community` (its reports show game figures)."""
    return community.section(GamesConfig).enabled


def register() -> None:
    """Add the game figures to the reports of communities that play games."""
    METRICS.register("games", game_figures, serves=plays_games)
