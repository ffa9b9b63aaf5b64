"""Season scores and leaderboards."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from bot.storage._base import Repository
from bot.storage.games._records import (
    NewScore,
    ScoreLine,
)
from bot.storage.games._rows import (
    GameAnswerRow,
    GamePollRow,
    GameQuestionRow,
    GameRoundRow,
    GameScoreRow,
    GameVoteRow,
)

log = logging.getLogger(__name__)

_rounds = GameRoundRow.__table__.c
_questions = GameQuestionRow.__table__.c
_answers = GameAnswerRow.__table__.c
_polls = GamePollRow.__table__.c
_votes = GameVoteRow.__table__.c
_scores = GameScoreRow.__table__.c


class ScoreQueries(Repository):
    """Points won and the standings they make."""

    # -- scores

    async def add_scores(
        self,
        community_id: int,
        season: str,
        scores: Sequence[NewScore],
        *,
        at: datetime | None = None,
    ) -> list[NewScore]:
        """Record points; return those recorded now (a repeat of a source is ignored)."""
        recorded = []
        for score in scores:
            stmt = (
                self._insert(GameScoreRow.__table__)
                .values(
                    community_id=community_id,
                    member_id=score.member_id,
                    display_name=score.display_name,
                    season=season,
                    game=score.game,
                    source=score.source,
                    reason=score.reason,
                    points=score.points,
                    scored_at=self._now(at),
                )
                .on_conflict_do_nothing(
                    index_elements=[
                        _scores.community_id,
                        _scores.source,
                        _scores.member_id,
                        _scores.reason,
                    ]
                )
                .returning(_scores.id)
            )
            if (await self._connection.execute(stmt)).first() is not None:
                recorded.append(score)
        return recorded

    async def leaderboard(
        self,
        community_id: int,
        season: str | None,
        *,
        limit: int = 10,
        sources: Sequence[str] | None = None,
    ) -> list[ScoreLine]:
        """Return the top members of a season (all time when None), best first.

        Ties are broken by who reached their total first, then by member id.
        """
        conditions = [_scores.community_id == community_id]
        if season is not None:
            conditions.append(_scores.season == season)
        if sources is not None:
            conditions.append(_scores.source.in_(list(sources)))
        total = func.sum(_scores.points).label("total")
        reached = func.max(_scores.scored_at).label("reached")
        stmt = (
            select(_scores.member_id, func.max(_scores.display_name).label("name"), total, reached)
            .where(*conditions)
            .group_by(_scores.member_id)
            .order_by(total.desc(), reached, _scores.member_id)
            .limit(limit)
        )
        return [
            ScoreLine(member_id=row.member_id, display_name=row.name, points=int(row.total))
            for row in await self._connection.execute(stmt)
        ]

    async def season_totals(self, community_id: int, season: str) -> dict[str, int]:
        """Return every member's points in a season."""
        stmt = (
            select(_scores.member_id, func.sum(_scores.points))
            .where(_scores.community_id == community_id, _scores.season == season)
            .group_by(_scores.member_id)
        )
        return {row[0]: int(row[1]) for row in await self._connection.execute(stmt)}
