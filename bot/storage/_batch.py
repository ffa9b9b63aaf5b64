"""One ingest batch, in one transaction: log rows, daily rollups and members.

Rollups and members are updated only for rows the database actually inserted,
so a duplicate delivery is stored and counted once. The heavy statements go
through the driver (see `_sqlite_batch` and `_postgres_batch`); members are
refreshed only when their stored record is out of date (new name, or last seen
more than `SEEN_REFRESH` ago), so `members.last_seen_at` may lag by that much.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import _postgres_batch, _sqlite_batch
from bot.storage._event_rows import InteractionRow
from bot.storage._statements import member_seen_upsert
from bot.storage._types import UTCDateTime
from bot.storage.models import MemberRow

log = logging.getLogger(__name__)

SEEN_REFRESH = timedelta(hours=1)
"""A member's `last_seen_at` is rewritten once it moved at least this much."""

_SEEN_CACHE_LIMIT = 200_000

_members = MemberRow.__table__.c
_SAME_MEMBER = (
    _members.community_id == bindparam("b_community"),
    _members.member_id == bindparam("b_member"),
)
_JOINED = (
    update(MemberRow)
    .where(*_SAME_MEMBER)
    .values(joined_at=bindparam("b_at", type_=UTCDateTime()), left_at=None)
)
_LEFT = (
    update(MemberRow).where(*_SAME_MEMBER).values(left_at=bindparam("b_at", type_=UTCDateTime()))
)

MemberKey = tuple[int, str]
Seen = tuple[str, bool, datetime]


@dataclass(frozen=True, kw_only=True, slots=True)
class BatchResult:
    """What a batch wrote; `seen` goes to the member cache once the batch commits."""

    inserted: int
    duplicates: int
    refused: int
    seen: dict[MemberKey, Seen]


class BatchStore:
    """Writes the batches of one writer: statements built once, members written sparingly.

    The member cache holds only what the database already has, so a member seen
    moments ago under the same name is not rewritten.
    """

    def __init__(self, dialect: str) -> None:
        self._sqlite = dialect == "sqlite"
        self._members = member_seen_upsert(dialect)
        self._seen: dict[MemberKey, Seen] = {}

    async def store(
        self,
        connection: AsyncConnection,
        rows: Sequence[InteractionRow],
        release: Callable[[], None] = lambda: None,
    ) -> BatchResult:
        """Insert `rows` (skipping known event ids) and roll up the ones that were new.

        `release` is called once the rows are handed to the database, so the
        caller can let producers refill its queue while the database works.
        """
        valid = [row for row in rows if row.occurred_at.utcoffset() is not None]
        for row in rows:
            if row.occurred_at.utcoffset() is None:
                log.error(
                    "interaction %r of community %d has a naive occurred_at, not stored",
                    row.event_id,
                    row.community_id,
                )
        new: list[InteractionRow] = []
        if valid and self._sqlite:
            new = await _sqlite_batch.insert_rows(connection, valid, release)
            await _sqlite_batch.add_activity(connection, new)
        elif valid:
            new, ids = await _postgres_batch.insert_rows(connection, valid, release)
            if ids:
                await _postgres_batch.add_activity(connection, ids)
        else:
            release()
        seen, joins, leaves = _members_of(new)
        members = [params for key, params in seen.items() if self._stale(key, params)]
        if members and self._sqlite:
            await _sqlite_batch.upsert_members(connection, members)
        elif members:
            await connection.execute(self._members, members)
        if joins:
            await connection.execute(_JOINED, joins)
        if leaves:
            await connection.execute(_LEFT, leaves)
        return BatchResult(
            inserted=len(new),
            duplicates=len(valid) - len(new),
            refused=len(rows) - len(valid),
            seen={
                (p["community_id"], p["member_id"]): (
                    p["display_name"],
                    p["is_bot"],
                    p["last_seen_at"],
                )
                for p in members
            },
        )

    def committed(self, result: BatchResult) -> None:
        """Remember the members a committed batch wrote."""
        if len(self._seen) + len(result.seen) > _SEEN_CACHE_LIMIT:
            self._seen.clear()
        self._seen.update(result.seen)

    def _stale(self, key: MemberKey, params: dict[str, Any]) -> bool:
        known = self._seen.get(key)
        return (
            known is None
            or params["joined_at"] is not None
            or known[0] != params["display_name"]
            or known[1] != params["is_bot"]
            or params["last_seen_at"] - known[2] >= SEEN_REFRESH
        )


def _members_of(
    rows: Sequence[InteractionRow],
) -> tuple[dict[MemberKey, dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the members seen in `rows`, and the joins and leaves that end the batch."""
    seen: dict[MemberKey, dict[str, Any]] = {}
    membership: dict[MemberKey, InteractionRow] = {}
    for row in rows:
        if row.member_id is None:
            continue
        member = (row.community_id, row.member_id)
        if row.member_name is not None:
            entry = seen.get(member)
            if entry is None:
                seen[member] = {
                    "community_id": row.community_id,
                    "member_id": row.member_id,
                    "display_name": row.member_name,
                    "is_bot": row.is_bot,
                    "joined_at": row.joined_at,
                    "left_at": None,
                    "first_seen_at": row.occurred_at,
                    "last_seen_at": row.occurred_at,
                }
            elif row.occurred_at >= entry["last_seen_at"]:
                entry["last_seen_at"] = row.occurred_at
                entry["display_name"] = row.member_name
                entry["is_bot"] = row.is_bot
                if row.joined_at is not None:
                    entry["joined_at"] = row.joined_at
            elif row.occurred_at < entry["first_seen_at"]:
                entry["first_seen_at"] = row.occurred_at
        if row.kind in ("join", "leave"):
            latest = membership.get(member)
            if latest is None or row.occurred_at >= latest.occurred_at:
                membership[member] = row
    joins = [
        {"b_community": c, "b_member": m, "b_at": row.joined_at or row.occurred_at}
        for (c, m), row in membership.items()
        if row.kind == "join"
    ]
    leaves = [
        {"b_community": c, "b_member": m, "b_at": row.occurred_at}
        for (c, m), row in membership.items()
        if row.kind == "leave"
    ]
    return seen, joins, leaves
