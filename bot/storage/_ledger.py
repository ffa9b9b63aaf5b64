"""The run ledger: each (job, scheduled time) is claimed once, ever, by one process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from bot.storage._base import Repository, require_aware
from bot.storage.models import RUN_STATUSES, RunLedgerRow
from bot.storage.records import LedgerEntry

_ledger = RunLedgerRow.__table__.c
_FINAL = tuple(status for status in RUN_STATUSES if status != "claimed")


class Ledger(Repository):
    """Claims and outcomes of scheduled runs; the primary key makes claims exclusive."""

    async def claim(
        self, job_id: str, scheduled_for: datetime, *, at: datetime | None = None
    ) -> bool:
        """Claim a run; True only for the first claimer ever, False for every later one."""
        stmt = (
            self._insert(RunLedgerRow.__table__)
            .values(
                job_id=job_id,
                scheduled_for=require_aware(scheduled_for, "scheduled_for"),
                claimed_at=self._now(at),
                status="claimed",
            )
            .on_conflict_do_nothing(index_elements=[_ledger.job_id, _ledger.scheduled_for])
            .returning(_ledger.job_id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def finish(
        self,
        job_id: str,
        scheduled_for: datetime,
        status: str,
        detail: str | None = None,
        *,
        at: datetime | None = None,
    ) -> None:
        """Record how a claimed run ended: `done`, `failed` or `skipped`."""
        if status not in _FINAL:
            raise ValueError(f"a run finishes as one of {_FINAL}, got {status!r}")
        stmt = (
            update(RunLedgerRow)
            .where(
                _ledger.job_id == job_id,
                _ledger.scheduled_for == require_aware(scheduled_for, "scheduled_for"),
            )
            .values(status=status, detail=detail, finished_at=self._now(at))
            .returning(_ledger.job_id)
        )
        if (await self._connection.execute(stmt)).first() is None:
            raise LookupError(
                f"run {job_id!r} scheduled for {scheduled_for.isoformat()} was never claimed"
            )

    async def get(self, job_id: str, scheduled_for: datetime) -> LedgerEntry | None:
        """Return one run of a job, or None if it was never claimed."""
        stmt = select(RunLedgerRow.__table__).where(
            _ledger.job_id == job_id,
            _ledger.scheduled_for == require_aware(scheduled_for, "scheduled_for"),
        )
        row = (await self._connection.execute(stmt)).first()
        if row is None:
            return None
        m = row._mapping
        return LedgerEntry(
            job_id=m["job_id"],
            scheduled_for=m["scheduled_for"],
            claimed_at=m["claimed_at"],
            status=m["status"],
            finished_at=m["finished_at"],
            detail=m["detail"],
        )

    async def last_run(self, job_id: str) -> datetime | None:
        """Return the latest scheduled time ever claimed for a job, whatever its outcome."""
        stmt = select(func.max(_ledger.scheduled_for)).where(_ledger.job_id == job_id)
        last: datetime | None = (await self._connection.execute(stmt)).scalar_one_or_none()
        return last
