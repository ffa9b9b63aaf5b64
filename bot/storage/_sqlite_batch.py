"""A batch of log rows on SQLite: every statement of the batch in one synchronous call.

The whole batch (log rows, daily rollups, members) runs as one function on the
thread that owns the SQLite connection, so the event loop pays one hop a batch
and goes on queueing events while SQLite works (it releases the GIL while it
steps). Each statement carries many rows. Values are written exactly as the
column types would write them (UTC timestamps as text, JSON as text), so rows
read back like any other.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

from bot.storage._event_rows import InteractionRow, MemberKey, members_of
from bot.storage._statements import ROLLUP_COLUMN

_ROWS_PER_INSERT = 1000
"""12 values a row: well under SQLite's default limit of 32,766 variables a statement."""
_ROWS_PER_UPSERT = 4000

_JOINED = (
    "UPDATE members SET joined_at = ?, left_at = NULL WHERE community_id = ? AND member_id = ?"
)
_LEFT = "UPDATE members SET left_at = ? WHERE community_id = ? AND member_id = ?"


class Statements(Protocol):
    """Runs statements inside the batch's open transaction."""

    def execute(self, sql: str, values: Sequence[Any]) -> tuple[int, int]:
        """Run one statement; return its affected-row count and last inserted id."""

    def fetch(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one query and return its rows."""


Stale = Callable[[MemberKey, dict[str, Any]], bool]
Chunks = list[tuple[str, list[Any]]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Prepared:
    """A batch's statements and values, built before the database is touched.

    The rollups and members are built as if every row is new, which is the rule;
    when the database skips some rows, they are built again for the rest.
    """

    rows: Sequence[InteractionRow]
    inserts: Chunks
    activity: Chunks
    members: list[dict[str, Any]]
    joins: list[dict[str, Any]]
    leaves: list[dict[str, Any]]


def prepare(rows: Sequence[InteractionRow], stale: Stale) -> Prepared:
    """Build every statement of a batch; pure Python, so it runs off the database thread."""
    inserts: Chunks = []
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        inserts.append((_insert_sql(len(chunk)), [v for row in chunk for v in _values(row)]))
    seen, joins, leaves = members_of(rows)
    return Prepared(
        rows=rows,
        inserts=inserts,
        activity=_activity(rows),
        members=[params for key, params in seen.items() if stale(key, params)],
        joins=joins,
        leaves=leaves,
    )


def store(
    statements: Statements, prepared: Prepared, stale: Stale, started: Callable[[], None]
) -> tuple[list[InteractionRow], list[dict[str, Any]]]:
    """Write a prepared batch; return the rows that were new and the members written.

    Rollups and members count only rows the database actually inserted, so a
    duplicate delivery is stored and counted once. `stale` says which seen
    members need writing. `started` is called as the first rows go to SQLite.
    """
    started()
    new = _insert_rows(statements, prepared)
    if len(new) != len(prepared.rows):
        prepared = replace(prepare(new, stale), inserts=[])
    for sql, values in prepared.activity:
        statements.execute(sql, values)
    members = prepared.members
    for start in range(0, len(members), _ROWS_PER_UPSERT):
        chunk = members[start : start + _ROWS_PER_UPSERT]
        statements.execute(_members_sql(len(chunk)), [v for m in chunk for v in _member_values(m)])
    for join in prepared.joins:
        statements.execute(
            _JOINED, (_utc_text(join["b_at"]), join["b_community"], join["b_member"])
        )
    for leave in prepared.leaves:
        statements.execute(
            _LEFT, (_utc_text(leave["b_at"]), leave["b_community"], leave["b_member"])
        )
    return new, members


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


def _insert_rows(statements: Statements, prepared: Prepared) -> list[InteractionRow]:
    """Insert rows, skipping known event ids, and return the rows that were new.

    The batch holds SQLite's write lock (BEGIN IMMEDIATE), so the rows it inserts
    get consecutive ids ending at the last one inserted: when some rows were
    skipped, those ids tell the new rows apart.
    """
    rows = prepared.rows
    inserted = 0
    last_id = 0
    for sql, values in prepared.inserts:
        count, last = statements.execute(sql, values)
        if count > 0:
            inserted += count
            last_id = last
    if inserted == len(rows):
        return list(rows)
    if not inserted:
        return []
    keys = set(
        statements.fetch(
            "SELECT community_id, event_id FROM interactions WHERE id > ?", (last_id - inserted,)
        )
    )
    new: list[InteractionRow] = []
    for row in rows:
        key = (row.community_id, row.event_id)
        if key in keys:
            keys.discard(key)
            new.append(row)
    return new


def _activity(rows: Sequence[InteractionRow]) -> Chunks:
    """Return the upserts adding the human activity of rows to the daily rollups (UTC days)."""
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
    entries = list(counts.items())
    return [
        (
            _activity_sql(len(chunk)),
            [value for key, tally in chunk for value in (*key, *tally)],
        )
        for chunk in (
            entries[start : start + _ROWS_PER_UPSERT]
            for start in range(0, len(entries), _ROWS_PER_UPSERT)
        )
    ]


def _member_values(member: dict[str, Any]) -> tuple[Any, ...]:
    """Return the values of one member for the members upsert (`member_seen_upsert`'s)."""
    return (
        member["community_id"],
        member["member_id"],
        member["display_name"],
        1 if member["is_bot"] else 0,
        None if member["joined_at"] is None else _utc_text(member["joined_at"]),
        _utc_text(member["first_seen_at"]),
        _utc_text(member["last_seen_at"]),
    )


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
