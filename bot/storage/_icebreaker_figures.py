"""The invitations and welcomes behind the icebreaker's report figures."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, select

from bot.storage._base import Repository
from bot.storage._icebreaker_rows import Invitation, InvitationRow, invitation_of
from bot.storage._measured import MeasuredPeriod, MeasuredScope

_inv = InvitationRow.__table__.c


class IcebreakerFigureQueries(Repository):
    """Invitations sent, and those whose time to answer ended, in a report's period."""

    async def sent_in(self, scope: MeasuredScope, period: MeasuredPeriod) -> dict[str, int]:
        """Return how many invitations and welcomes of each kind were sent in `period`."""
        in_period = and_(
            _inv.community_id == scope.community_id,
            _inv.sent_at >= period.since,
            _inv.sent_at < period.until,
            scope.keeps(_inv.member_id),
        )
        stmt = select(_inv.kind, func.count()).where(in_period).group_by(_inv.kind)
        return {str(kind): int(count) for kind, count in await self._connection.execute(stmt)}

    async def answer_ended_in(
        self, scope: MeasuredScope, period: MeasuredPeriod, window: timedelta
    ) -> list[Invitation]:
        """Return the invitations and welcomes whose `window` to answer ended in `period`."""
        stmt = (
            select(InvitationRow.__table__)
            .where(
                _inv.community_id == scope.community_id,
                _inv.sent_at >= period.since - window,
                _inv.sent_at < period.until - window,
                scope.keeps(_inv.member_id),
            )
            .order_by(_inv.sent_at, _inv.id)
        )
        return [invitation_of(row) for row in await self._connection.execute(stmt)]
