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
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._event_rows import InteractionRow, MemberKey, members_of
from bot.storage._postgres_batch import Prepared as PostgresPrepared
from bot.storage._postgres_batch import insert_rows
from bot.storage._postgres_batch import prepare as prepare_postgres
from bot.storage._sqlite_batch import Prepared as SqlitePrepared
from bot.storage._sqlite_batch import prepare as prepare_sqlite
from bot.storage._sqlite_batch import run_on
from bot.storage._sqlite_batch import store as store_sqlite
from bot.storage._sqlite_process import SqliteProcess
from bot.storage._statements import member_seen_upsert
from bot.storage._types import UTCDateTime
from bot.storage.database import Database
from bot.storage.models import MemberRow

log = logging.getLogger(__name__)

SEEN_REFRESH = timedelta(hours=1)
"""A member's `last_seen_at` is rewritten once it moved at least this much."""

_SEEN_CACHE_LIMIT = 200_000
_REFRESH_SECONDS = int(SEEN_REFRESH.total_seconds())
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_NAME_BITS = 0xFFFF_FFFF

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

Seen = tuple[int, str, int]
"""A member written: community id, member id, and what was written (`_fingerprint`)."""


def _fingerprint(params: dict[str, Any]) -> int:
    """Return one integer for what the member cache compares: last seen, name, bot flag.

    The second last seen, a 32-bit hash of the name and the bot flag, in one int: 36
    bytes a member where a tuple of the name, flag and datetime held about 200, which
    at 100,000 members is 16 MiB. Two names sharing a hash only delay a rename until
    the member's next hourly refresh.
    """
    seconds: int = max(0, (params["last_seen_at"] - _EPOCH) // _SECOND)
    name = hash(params["display_name"]) & _NAME_BITS
    return seconds << 33 | name << 1 | (1 if params["is_bot"] else 0)


@dataclass(frozen=True, kw_only=True, slots=True)
class BatchResult:
    """What a batch wrote; `seen` goes to the member cache once the batch commits."""

    inserted: int
    duplicates: int
    refused: int
    seen: list[Seen]


@dataclass(frozen=True, kw_only=True, slots=True)
class PreparedBatch:
    """A batch checked and turned into statements, ready to write (and to retry)."""

    rows: Sequence[InteractionRow]
    refused: int
    sqlite: SqlitePrepared | None
    postgres: PostgresPrepared | None


def _aware(moment: datetime) -> bool:
    return moment.utcoffset() is not None


class BatchStore:
    """Writes the batches of one writer: statements built once, members written sparingly.

    The member cache holds only what the database already has, so a member seen
    moments ago under the same name is not rewritten. On a SQLite file the
    batches run on a connection of their own, in a process of their own (see
    `_sqlite_process`).
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._sqlite = database.dialect == "sqlite"
        self._members = member_seen_upsert(database.dialect)
        self._seen: dict[int, dict[str, int]] = {}
        """What the database has of each member written lately, by community and member."""
        self._seen_count = 0
        path = database.sqlite_file
        self._process = (
            SqliteProcess(path, busy_timeout=database.busy_timeout) if path is not None else None
        )

    def prepare(self, rows: Sequence[InteractionRow]) -> PreparedBatch:
        """Check a batch and build its statements: pure Python, done before the write."""
        valid = [row for row in rows if row.occurred_at.tzinfo is UTC or _aware(row.occurred_at)]
        if len(valid) != len(rows):
            for row in rows:
                if not _aware(row.occurred_at):
                    log.error(
                        "interaction %r of community %d has a naive occurred_at, not stored",
                        row.event_id,
                        row.community_id,
                    )
        sqlite = prepare_sqlite(valid, self._stale) if self._sqlite else None
        postgres = prepare_postgres(valid) if valid and not self._sqlite else None
        return PreparedBatch(
            rows=valid, refused=len(rows) - len(valid), sqlite=sqlite, postgres=postgres
        )

    async def write(
        self, batch: PreparedBatch, release: Callable[[], None] = lambda: None
    ) -> BatchResult:
        """Insert a prepared batch in one transaction, skipping known event ids.

        `release` is called once the rows are handed to the database, so the
        caller can let producers refill its queue while the database works.
        """
        valid = batch.rows
        if batch.sqlite is None:
            async with self._database.transaction() as uow:
                new, members = await self._postgres(uow.connection, batch, release)
        else:
            steps = store_sqlite(batch.sqlite, self._stale)
            if self._process is not None:
                # Producers resume once SQLite has the rows: in its own process, SQLite
                # works while the event loop queues the next events.
                async with self._database.write_turn():
                    new, members = await self._process.run(steps, release)
            else:
                async with self._database.transaction() as uow:
                    new, members = await uow.connection.run_sync(
                        lambda connection: run_on(connection, steps, release)
                    )
        return BatchResult(
            inserted=len(new),
            duplicates=len(valid) - len(new),
            refused=batch.refused,
            seen=[(p["community_id"], p["member_id"], _fingerprint(p)) for p in members],
        )

    async def open(self) -> None:
        """Start the writer's own SQLite process, if it has one."""
        if self._process is not None:
            await self._process.open()

    async def close(self) -> None:
        """End the writer's own SQLite process, if it has one."""
        if self._process is not None:
            await self._process.close()

    async def _postgres(
        self,
        connection: AsyncConnection,
        batch: PreparedBatch,
        release: Callable[[], None],
    ) -> tuple[list[InteractionRow], list[dict[str, Any]]]:
        if batch.postgres is None:
            release()
            return [], []
        new = await insert_rows(connection, batch.rows, batch.postgres, release)
        seen, joins, leaves = members_of(new)
        members = [params for key, params in seen.items() if self._stale(key, params)]
        if members:
            await connection.execute(self._members, members)
        if joins:
            await connection.execute(_JOINED, joins)
        if leaves:
            await connection.execute(_LEFT, leaves)
        return new, members

    def committed(self, result: BatchResult) -> None:
        """Remember the members a committed batch wrote."""
        if self._seen_count + len(result.seen) > _SEEN_CACHE_LIMIT:
            self._seen.clear()
            self._seen_count = 0
        for community_id, member_id, fingerprint in result.seen:
            members = self._seen.get(community_id)
            if members is None:
                members = self._seen[community_id] = {}
            before = len(members)
            members[member_id] = fingerprint
            self._seen_count += len(members) - before

    def _stale(self, key: MemberKey, params: dict[str, Any]) -> bool:
        members = self._seen.get(key[0])
        known = None if members is None else members.get(key[1])
        if known is None or params["joined_at"] is not None:
            return True
        written = _fingerprint(params)
        return (
            written & (2 * _NAME_BITS + 1) != known & (2 * _NAME_BITS + 1)
            or (written >> 33) - (known >> 33) >= _REFRESH_SECONDS
        )
