"""A batch of log rows on SQLite: every statement of the batch in one synchronous call.

The whole batch (log rows, daily rollups, members) runs as one function on the
thread that owns the SQLite connection, so the event loop pays one hop a batch
and goes on queueing events while SQLite works (it releases the GIL while it
steps). Each statement carries many rows. Timestamps are written as the
`UTCDateTime` column type stores them on SQLite (`sqlite_utc_text`) and JSON as
text, so rows read back like any other. The daily rollups are computed by SQLite
from the rows the batch inserted, so that work runs without the GIL.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.storage._event_rows import InteractionRow, MemberKey, members_of
from bot.storage._statements import sqlite_activity_rollup
from bot.storage._types import sqlite_utc_text

_ROWS_PER_INSERT = 1000
"""12 values a row: well under SQLite's default limit of 32,766 variables a statement."""
_ROWS_PER_UPSERT = 4000

_ROWS_PER_MEMBERSHIP = 1000
"""Joins or leaves a statement: three values each."""
_ROLLUP = sqlite_activity_rollup()


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

    The members are built as if every row is new, which is the rule; when the
    database skips some rows, they are built again for the rest.
    """

    rows: Sequence[InteractionRow]
    inserts: Chunks
    members: list[dict[str, Any]]
    joins: list[dict[str, Any]]
    leaves: list[dict[str, Any]]


def prepare(rows: Sequence[InteractionRow], stale: Stale) -> Prepared:
    """Build every statement of a batch; pure Python, so it runs off the database thread."""
    inserts: Chunks = []
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        inserts.append((_insert_sql(len(chunk)), _values(chunk)))
    seen, joins, leaves = members_of(rows)
    return Prepared(
        rows=rows,
        inserts=inserts,
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
    new, first_id = _insert_rows(statements, prepared)
    if len(new) != len(prepared.rows):
        prepared = replace(prepare(new, stale), inserts=[])
    if new:
        statements.execute(_ROLLUP, (first_id - 1,))
    members = prepared.members
    for start in range(0, len(members), _ROWS_PER_UPSERT):
        chunk = members[start : start + _ROWS_PER_UPSERT]
        statements.execute(_members_sql(len(chunk)), [v for m in chunk for v in _member_values(m)])
    for changes, assignment in ((prepared.joins, _JOINED), (prepared.leaves, _LEFT)):
        for start in range(0, len(changes), _ROWS_PER_MEMBERSHIP):
            chunk = changes[start : start + _ROWS_PER_MEMBERSHIP]
            statements.execute(
                _membership_sql(assignment, len(chunk)),
                [
                    value
                    for change in chunk
                    for value in (
                        sqlite_utc_text(change["b_at"]),
                        change["b_community"],
                        change["b_member"],
                    )
                ],
            )
    return new, members


_COLUMNS = InteractionRow._fields[:12]
"""The log columns, in the order of `InteractionRow`'s first fields (the rest are not columns)."""
_OCCURRED_AT = _COLUMNS.index("occurred_at")
_META = _COLUMNS.index("meta")


@functools.lru_cache(maxsize=8)
def _insert_sql(count: int) -> str:
    values = ", ".join([f"({', '.join('?' * len(_COLUMNS))})"] * count)
    return (
        f"INSERT INTO interactions ({', '.join(_COLUMNS)}) VALUES {values} "  # noqa: S608 (names and placeholders only)
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


_JOINED = "joined_at = j.column1, left_at = NULL"
_LEFT = "left_at = j.column1"


@functools.lru_cache(maxsize=8)
def _membership_sql(assignment: str, count: int) -> str:
    """Return one UPDATE of `count` members' joins or leaves (time, community, member each).

    One statement for many members, not one each: every statement the writer's
    thread runs waits for the GIL again once SQLite has stepped it, and with the
    event loop busy that wait, not SQLite, is what a statement costs.
    """
    values = ", ".join(["(?, ?, ?)"] * count)
    return (
        f"UPDATE members SET {assignment} FROM (VALUES {values}) AS j "  # noqa: S608 (placeholders only)
        "WHERE members.community_id = j.column2 AND members.member_id = j.column3"
    )


def _insert_rows(statements: Statements, prepared: Prepared) -> tuple[list[InteractionRow], int]:
    """Insert rows, skipping known event ids; return the rows that were new and the first id.

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
    first_id = last_id - inserted + 1
    if inserted == len(rows):
        return list(rows), first_id
    if not inserted:
        return [], first_id
    keys = set(
        statements.fetch(
            "SELECT community_id, event_id FROM interactions WHERE id >= ?", (first_id,)
        )
    )
    new: list[InteractionRow] = []
    for row in rows:
        key = (row.community_id, row.event_id)
        if key in keys:
            keys.discard(key)
            new.append(row)
    return new, first_id


def _member_values(member: dict[str, Any]) -> tuple[Any, ...]:
    """Return the values of one member for the members upsert (`member_seen_upsert`'s)."""
    return (
        member["community_id"],
        member["member_id"],
        member["display_name"],
        1 if member["is_bot"] else 0,
        None if member["joined_at"] is None else sqlite_utc_text(member["joined_at"]),
        sqlite_utc_text(member["first_seen_at"]),
        sqlite_utc_text(member["last_seen_at"]),
    )


def _values(rows: Sequence[InteractionRow]) -> list[Any]:
    """Return the rows' column values, one flat list: each row's first fields, two converted.

    Taken by slices rather than a tuple built per row: this runs on the event loop
    for every row logged.
    """
    values: list[Any] = []
    extend = values.extend
    width = len(_COLUMNS)
    for row in rows:
        extend(row[:width])
    values[_OCCURRED_AT::width] = [
        sqlite_utc_text(moment) for moment in values[_OCCURRED_AT::width]
    ]
    metas = values[_META::width]
    if any(meta is not None for meta in metas):
        values[_META::width] = [None if meta is None else json.dumps(dict(meta)) for meta in metas]
    return values
