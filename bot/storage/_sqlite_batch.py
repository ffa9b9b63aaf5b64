"""A batch of log rows on SQLite, through the driver: few statements, no per-row overhead.

Each statement carries many rows (one multi-row INSERT), so SQLite works on the
whole batch in one call that releases the GIL, while the event loop goes on
queueing events. Values are written exactly as the column types would write
them (UTC timestamps as text, JSON as text), so rows read back like any other.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._driver import driver_of, translated
from bot.storage._event_rows import InteractionRow
from bot.storage._statements import ROLLUP_COLUMN
from bot.storage.models import InteractionLogRow

_log = InteractionLogRow.__table__.c
_ROWS_PER_INSERT = 1000
"""12 values a row: well under SQLite's default limit of 32,766 variables a statement."""
_ROWS_PER_UPSERT = 4000


@functools.lru_cache(maxsize=8)
def _insert_sql(count: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * count)
    return (
        "INSERT INTO interactions (community_id, event_id, kind, channel_id, thread_id, "  # noqa: S608 (placeholders only)
        f"member_id, message_id, reply_to, target, occurred_at, meta, content) VALUES {values} "
        "ON CONFLICT (community_id, event_id) DO NOTHING"
    )


@functools.lru_cache(maxsize=8)
def _members_sql(count: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, NULL, ?, ?)"] * count)
    return (
        "INSERT INTO members (community_id, member_id, display_name, is_bot, joined_at, "  # noqa: S608 (placeholders only)
        f"left_at, first_seen_at, last_seen_at) VALUES {values} "
        "ON CONFLICT (community_id, member_id) DO UPDATE SET "
        "display_name = excluded.display_name, is_bot = excluded.is_bot, "
        "joined_at = coalesce(excluded.joined_at, joined_at), "
        "first_seen_at = min(first_seen_at, excluded.first_seen_at), "
        "last_seen_at = max(last_seen_at, excluded.last_seen_at)"
    )


@functools.lru_cache(maxsize=8)
def _activity_sql(count: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * count)
    return (
        "INSERT INTO activity_daily (community_id, member_id, day, messages, replies, "  # noqa: S608 (placeholders only)
        f"reactions, other) VALUES {values} "
        "ON CONFLICT (community_id, member_id, day) DO UPDATE SET "
        "messages = messages + excluded.messages, replies = replies + excluded.replies, "
        "reactions = reactions + excluded.reactions, other = other + excluded.other"
    )


async def insert_rows(
    connection: AsyncConnection, rows: Sequence[InteractionRow], release: Callable[[], None]
) -> list[InteractionRow]:
    """Insert rows, skipping known event ids, and return the rows that were new.

    `release` is called just before the first INSERT goes to SQLite. The batch
    holds SQLite's write lock (BEGIN IMMEDIATE), so the rows it inserts get
    consecutive ids ending at the last one inserted: when some rows were skipped,
    those ids tell the new rows apart.
    """
    driver = await driver_of(connection)
    inserted = 0
    last_id = 0
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        sql = _insert_sql(len(chunk))
        values = [value for row in chunk for value in _values(row)]
        if not start:
            release()
        cursor = await translated(driver.execute(sql, values), sql)
        if cursor.rowcount > 0:
            inserted += cursor.rowcount
            last_id = cursor.lastrowid
        await cursor.close()
    if inserted == len(rows):
        return list(rows)
    if not inserted:
        return []
    fresh = select(_log.community_id, _log.event_id).where(_log.id > last_id - inserted)
    keys = {(row.community_id, row.event_id) for row in await connection.execute(fresh)}
    new: list[InteractionRow] = []
    for row in rows:
        key = (row.community_id, row.event_id)
        if key in keys:
            keys.discard(key)
            new.append(row)
    return new


async def add_activity(connection: AsyncConnection, rows: Sequence[InteractionRow]) -> None:
    """Add the human activity of new log rows to the daily rollups (UTC days)."""
    counts: dict[tuple[int, str, str], list[int]] = {}
    days: dict[date, str] = {}
    for row in rows:
        column = ROLLUP_COLUMN.get(row.kind)
        if column is None or row.member_id is None or row.is_bot:
            continue
        at = row.occurred_at
        if at.utcoffset():
            at = at.astimezone(UTC)
        day = at.date()
        text = days.get(day)
        if text is None:
            text = days[day] = day.isoformat()
        key = (row.community_id, row.member_id, text)
        tally = counts.get(key)
        if tally is None:
            tally = counts[key] = [0, 0, 0, 0]
        tally[column] += 1
    if not counts:
        return
    driver = await driver_of(connection)
    entries = list(counts.items())
    for start in range(0, len(entries), _ROWS_PER_UPSERT):
        chunk = entries[start : start + _ROWS_PER_UPSERT]
        sql = _activity_sql(len(chunk))
        values = [value for key, tally in chunk for value in (*key, *tally)]
        cursor = await translated(driver.execute(sql, values), sql)
        await cursor.close()


async def upsert_members(connection: AsyncConnection, members: Sequence[dict[str, Any]]) -> None:
    """Insert or refresh members, as `member_seen_upsert` does (same parameters)."""
    driver = await driver_of(connection)
    for start in range(0, len(members), _ROWS_PER_UPSERT):
        chunk = members[start : start + _ROWS_PER_UPSERT]
        sql = _members_sql(len(chunk))
        values = [
            value
            for member in chunk
            for value in (
                member["community_id"],
                member["member_id"],
                member["display_name"],
                1 if member["is_bot"] else 0,
                None if member["joined_at"] is None else _utc_text(member["joined_at"]),
                _utc_text(member["first_seen_at"]),
                _utc_text(member["last_seen_at"]),
            )
        ]
        cursor = await translated(driver.execute(sql, values), sql)
        await cursor.close()


def _utc_text(moment: datetime) -> str:
    """Return `moment` as the UTC text SQLAlchemy's SQLite DateTime writes."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff" then "+00:00", which the column text leaves out.
    return moment.isoformat(" ", "microseconds")[:26]


def _values(row: InteractionRow) -> tuple[Any, ...]:
    return (
        row.community_id,
        row.event_id,
        row.kind,
        row.channel_id,
        row.thread_id,
        row.member_id,
        row.message_id,
        row.reply_to,
        row.target,
        _utc_text(row.occurred_at),
        None if row.meta is None else json.dumps(dict(row.meta)),
        row.content,
    )
