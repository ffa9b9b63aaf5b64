"""The votes behind the elections' report figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.storage._base import Repository
from bot.storage._election_tables import ElectionRow, NominationRow
from bot.storage._measured import MeasuredPeriod, MeasuredScope

COUNTED_PHASES = ("closed", "announced")
"""A vote that closed, whether its result is announced yet or awaits the moderators."""
_elections = ElectionRow.__table__.c
_nominations = NominationRow.__table__.c


@dataclass(frozen=True, kw_only=True)
class ClosedVote:
    """A vote closed in a period: its month, its stored result, the nominations kept."""

    election_id: int
    month: str
    result: dict[str, Any]
    nominations: int


class ElectionFigureQueries(Repository):
    """The votes a report counts."""

    async def closed_votes(self, scope: MeasuredScope, period: MeasuredPeriod) -> list[ClosedVote]:
        """Return the first-round votes closed in `period`, oldest first.

        Nominations count only those made by members the scope keeps.
        """
        nominations = (
            select(func.count())
            .where(
                _nominations.election_id == _elections.id,
                scope.keeps(_nominations.nominator_id),
            )
            .scalar_subquery()
        )
        stmt = (
            select(_elections.id, _elections.period, _elections.result, nominations)
            .where(
                _elections.community_id == scope.community_id,
                _elections.round == 0,
                _elections.phase.in_(COUNTED_PHASES),
                _elections.closed_at >= period.since,
                _elections.closed_at < period.until,
            )
            .order_by(_elections.closed_at)
        )
        return [
            ClosedVote(
                election_id=election_id,
                month=str(month),
                result=result if isinstance(result, dict) else {},
                nominations=int(nominees),
            )
            for election_id, month, result, nominees in await self._connection.execute(stmt)
        ]
