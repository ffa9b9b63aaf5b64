"""The games repository: every statement the games run, inside the caller's transaction."""

from __future__ import annotations

import logging

from bot.storage.games._figures import FigureQueries
from bot.storage.games._personal import PersonalQueries
from bot.storage.games._polls import PollQueries
from bot.storage.games._rounds import RoundQueries
from bot.storage.games._scores import ScoreQueries

log = logging.getLogger(__name__)


class Games(FigureQueries, RoundQueries, PollQueries, ScoreQueries, PersonalQueries):
    """Rounds, questions, answers, polls, votes and scores of every community."""
