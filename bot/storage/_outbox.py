"""The outbox: a message is recorded before it is sent, then marked with the result.

A crash between the send and the commit leaves the row pending; resending it with
the same nonce lets the platform (or the sender) recognise the duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
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
    ) -> int:
        """Queue a message and return its id; adding an existing nonce returns that row's id."""
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

    async def get(self, outbox_id: int) -> OutboxEntry | None:
        """Return one outbox row, or None."""
        row = (await self._connection.execute(_entries().where(_outbox.id == outbox_id))).first()
        return None if row is None else _entry(row)

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
        )

    async def mark_failed(self, outbox_id: int, error: str, *, retry: bool = False) -> None:
        """Record a failed attempt; the row stays pending when `retry` is set."""
        await self._set(
            outbox_id,
            status="pending" if retry else "failed",
            last_error=error[:_ERROR_LIMIT],
            attempts=_outbox.attempts + 1,
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
    )
