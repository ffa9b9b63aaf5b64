"""Handled command and click deliveries, kept a day so a redelivery is recognised anywhere.

A platform delivers a command or a click again when it is unsure the first delivery
arrived: a Slack retry (`X-Slack-Retry-Num`), a Socket Mode envelope sent again, a
Discord gateway resume. The redelivery carries the same event id, possibly to
another process or after a restart, when no memory of the first one is left. Each
delivery is claimed here before its handlers run; the primary key makes the claim
exclusive across processes. A claim is finished once the handlers returned. A claim
left unfinished past its lease belongs to a process that died mid-way: the next
redelivery takes it over, so the member still gets an answer.

The rows hold no member id (only the platform's event id) and are purged by the
daily retention job once they are a day old: later than any platform redelivers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage._base import Repository, require_aware
from bot.storage.models import Base, community_fk

log = logging.getLogger(__name__)

KEPT = timedelta(days=1)
"""How long a handled delivery is remembered (Slack retries for minutes, Discord resumes
replay events of the last few minutes)."""

LEASE = timedelta(minutes=5)
"""How long an unfinished claim is taken to be in progress (a handler answers within
seconds; its sends give up within a minute or two); after that it died with its process."""


class HandledDeliveryRow(Base):
    """A command or click delivery that a process claimed, and when its handlers finished."""

    __tablename__ = "handled_deliveries"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    event_id: Mapped[str] = mapped_column(primary_key=True)
    claimed_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


_handled = HandledDeliveryRow.__table__.c


class Deliveries(Repository):
    """Claims on command and click deliveries; the primary key makes a claim exclusive."""

    async def claim(
        self,
        community_id: int,
        event_id: str,
        *,
        lease: timedelta = LEASE,
        at: datetime | None = None,
    ) -> bool:
        """Claim a delivery; True for its first claim, or to take over one abandoned mid-way.

        False when the delivery was handled already, or is being handled (claimed
        less than `lease` ago and not finished).
        """
        now = require_aware(self._now(at), "at")
        first = (
            self._insert(HandledDeliveryRow.__table__)
            .values(community_id=community_id, event_id=event_id, claimed_at=now)
            .on_conflict_do_nothing(index_elements=[_handled.community_id, _handled.event_id])
            .returning(_handled.event_id)
        )
        if (await self._connection.execute(first)).first() is not None:
            return True
        abandoned = (
            update(HandledDeliveryRow)
            .where(
                _handled.community_id == community_id,
                _handled.event_id == event_id,
                _handled.finished_at.is_(None),
                _handled.claimed_at <= now - lease,
            )
            .values(claimed_at=now)
            .returning(_handled.event_id)
        )
        if (await self._connection.execute(abandoned)).first() is not None:
            log.warning(
                "delivery %s was claimed but never finished (its process stopped mid-way); "
                "handling it again",
                event_id,
            )
            return True
        return False

    async def finish(self, community_id: int, event_id: str, *, at: datetime | None = None) -> None:
        """Record that the handlers of a claimed delivery returned."""
        stmt = (
            update(HandledDeliveryRow)
            .where(_handled.community_id == community_id, _handled.event_id == event_id)
            .values(finished_at=require_aware(self._now(at), "at"))
        )
        await self._connection.execute(stmt)

    async def purge(self, community_id: int, before: datetime) -> int:
        """Forget the deliveries claimed before `before`; return how many went."""
        stmt = delete(HandledDeliveryRow).where(
            _handled.community_id == community_id,
            _handled.claimed_at < require_aware(before, "before"),
        )
        return int((await self._connection.execute(stmt)).rowcount or 0)
