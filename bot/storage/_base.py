"""What every repository shares: the open connection, the clock, dialect-aware inserts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import Clock

Upsert = postgresql.Insert | sqlite.Insert


def insert_for(dialect: str, table: Any) -> Upsert:
    """Return an INSERT supporting ON CONFLICT for `dialect` (`sqlite` or `postgresql`)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no ON CONFLICT insert for dialect {dialect!r}")


def require_aware(value: datetime, name: str) -> datetime:
    """Return `value` in UTC, refusing a naive datetime with a message naming `name`."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


class Repository:
    """Base of the repositories: one connection inside one transaction."""

    def __init__(self, connection: AsyncConnection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock
        self._dialect = connection.dialect.name

    def _insert(self, table: Any) -> Upsert:
        return insert_for(self._dialect, table)

    def _now(self, at: datetime | None) -> datetime:
        return self._clock.now() if at is None else at
