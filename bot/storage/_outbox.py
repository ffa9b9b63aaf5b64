"""The outbox: a message is recorded before it is sent, then marked with the result.

A send happens under a lease: the row records who sends it, until when, and
that a send was started, before the platform is called. Another process leaves a
leased row alone until the lease lapses; a row with a start but no result is an
uncertain send, confirmed with the platform before it is sent again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.engine import Row

from bot.storage._base import Repository, require_aware
from bot.storage.models import CommunityRow, OutboxRow
from bot.storage.records import OutboxEntry

_outbox = OutboxRow.__table__.c
_communities = CommunityRow.__table__.c
_ERROR_LIMIT = 2000


class Outbox(Repository):
    """Messages to send and the record of where they went."""

    async def add(
        self,
        community_id: int,
        nonce: str,
        channel_id: str,
        thread_id: str | None,
        payload: Mapping[str, Any],
        job_id: str | None = None,
        scheduled_for: datetime | None = None,
        content: tuple[str, str] | None = None,
    ) -> int:
        """Queue a message and return its id; adding an existing nonce returns that row's id.

        `content` is the pool and item of the content library the message uses, if any.
        """
        stmt = (
            self._insert(OutboxRow.__table__)
            .values(
                community_id=community_id,
                job_id=job_id,
                scheduled_for=(
                    None if scheduled_for is None else require_aware(scheduled_for, "scheduled_for")
                ),
                nonce=nonce,
                channel_id=channel_id,
                thread_id=thread_id,
                payload=dict(payload),
                status="pending",
                attempts=0,
                created_at=self._clock.now(),
                pool=None if content is None else content[0],
                item_id=None if content is None else content[1],
            )
            .on_conflict_do_nothing(index_elements=[_outbox.nonce])
            .returning(_outbox.id)
        )
        inserted = (await self._connection.execute(stmt)).scalar_one_or_none()
        if inserted is not None:
            return int(inserted)
        existing = select(_outbox.id).where(_outbox.nonce == nonce)
        return int((await self._connection.execute(existing)).scalar_one())

    async def pending(self, limit: int = 100) -> list[OutboxEntry]:
        """Return up to `limit` messages still to send, oldest first."""
        stmt = _entries().where(_outbox.status == "pending").order_by(_outbox.id).limit(limit)
        return [_entry(row) for row in await self._connection.execute(stmt)]

    async def stranded(self, older_than: datetime, limit: int = 100) -> list[OutboxEntry]:
        """Return pending rows nobody is sending: their lease lapsed, or none was taken.

        A row never leased counts once it is older than `older_than` (the process
        that queued it stopped before sending it).
        """
        now = self._clock.now()
        stmt = (
            _entries()
            .where(
                _outbox.status == "pending",
                or_(
                    _outbox.lease_until <= now,
                    and_(_outbox.lease_until.is_(None), _outbox.created_at <= older_than),
                ),
            )
            .order_by(_outbox.id)
            .limit(limit)
        )
        return [_entry(row) for row in await self._connection.execute(stmt)]

    async def get(self, outbox_id: int, *, lock: bool = False) -> OutboxEntry | None:
        """Return one outbox row, or None; `lock` holds it until the transaction ends."""
        stmt = _entries().where(_outbox.id == outbox_id)
        if lock:
            stmt = stmt.with_for_update(of=OutboxRow.__table__)
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _entry(row)

    async def take_lease(self, outbox_id: int, owner: str, until: datetime) -> None:
        """Make `owner` the sender of a pending row until `until`, noting the first attempt.

        Call it on a row read with `get(lock=True)` in the same transaction, after
        checking that no other owner's lease is running.
        """
        now = self._clock.now()
        await self._set(
            outbox_id,
            lease_owner=owner,
            lease_until=require_aware(until, "until"),
            attempted_at=func.coalesce(_outbox.attempted_at, now),
        )

    async def renew_lease(self, outbox_id: int, owner: str, until: datetime) -> bool:
        """Extend `owner`'s lease of a pending row; False when the lease is no longer theirs."""
        stmt = (
            update(OutboxRow)
            .where(
                _outbox.id == outbox_id,
                _outbox.status == "pending",
                _outbox.lease_owner == owner,
            )
            .values(lease_until=require_aware(until, "until"))
            .returning(_outbox.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def recorded(
        self, community_id: int, channel_id: str, message_ids: Collection[str]
    ) -> set[str]:
        """Return which of `message_ids` other sent rows already stand for."""
        if not message_ids:
            return set()
        stmt = select(_outbox.message_id).where(
            _outbox.community_id == community_id,
            _outbox.channel_id == channel_id,
            _outbox.status == "sent",
            _outbox.message_id.in_(list(message_ids)),
        )
        return {str(value) for value in (await self._connection.execute(stmt)).scalars()}

    async def by_nonce(self, nonce: str) -> OutboxEntry | None:
        """Return the outbox row holding `nonce`, or None."""
        row = (await self._connection.execute(_entries().where(_outbox.nonce == nonce))).first()
        return None if row is None else _entry(row)

    async def mark_sent(
        self,
        outbox_id: int,
        message_id: str,
        thread_id: str | None = None,
        *,
        at: datetime | None = None,
    ) -> None:
        """Record that a message was sent, as `message_id` (and opened `thread_id`)."""
        await self._set(
            outbox_id,
            status="sent",
            message_id=message_id,
            sent_thread_id=thread_id,
            sent_at=self._now(at),
            attempts=_outbox.attempts + 1,
            lease_owner=None,
            lease_until=None,
        )

    async def mark_failed(self, outbox_id: int, error: str, *, retry: bool = False) -> None:
        """Record a failed attempt; the row stays pending when `retry` is set."""
        await self._set(
            outbox_id,
            status="pending" if retry else "failed",
            last_error=error[:_ERROR_LIMIT],
            attempts=_outbox.attempts + 1,
            lease_owner=None,
            lease_until=None,
        )

    async def recent_for_job(self, job_id: str, limit: int) -> list[OutboxEntry]:
        """Return the messages a job sent, newest first (the dead-channel guard reads them)."""
        stmt = (
            _entries()
            .where(_outbox.job_id == job_id, _outbox.status == "sent")
            .order_by(_outbox.sent_at.desc(), _outbox.id.desc())
            .limit(limit)
        )
        return [_entry(row) for row in await self._connection.execute(stmt)]

    async def _set(self, outbox_id: int, **values: Any) -> None:
        stmt = (
            update(OutboxRow).where(_outbox.id == outbox_id).values(**values).returning(_outbox.id)
        )
        if (await self._connection.execute(stmt)).first() is None:
            raise LookupError(f"no outbox row with id {outbox_id}")


def _entries() -> Select[Any]:
    return select(OutboxRow.__table__, _communities.key.label("community_key")).join(
        CommunityRow.__table__, _communities.id == _outbox.community_id
    )


def _entry(row: Row[Any]) -> OutboxEntry:
    m = row._mapping
    return OutboxEntry(
        id=m["id"],
        community_id=m["community_id"],
        community_key=m["community_key"],
        job_id=m["job_id"],
        scheduled_for=m["scheduled_for"],
        nonce=m["nonce"],
        channel_id=m["channel_id"],
        thread_id=m["thread_id"],
        payload=dict(m["payload"]),
        status=m["status"],
        message_id=m["message_id"],
        sent_thread_id=m["sent_thread_id"],
        attempts=m["attempts"],
        last_error=m["last_error"],
        created_at=m["created_at"],
        sent_at=m["sent_at"],
        attempted_at=m["attempted_at"],
        lease_owner=m["lease_owner"],
        lease_until=m["lease_until"],
    )
