"""A batch of log rows on SQLite: its statements, sent to SQLite a few at a time.

`store` decides what a batch writes (log rows, daily rollups, members) without
touching a connection: it yields the statements it needs run, a list at a time,
and is sent their results. The caller runs them: on a SQLite file, the writer's own
process runs each list in one exchange over a pipe (see `_sqlite_process`), so the
event loop's interpreter never waits for SQLite or hands its lock to a thread that
does; an in-memory database runs them on its pooled connection (`run_on`).
Each statement carries many rows. Timestamps are written as the `UTCDateTime`
column type stores them on SQLite (`sqlite_utc_text`) and JSON as text, so rows
read back like any other. The daily rollups are computed by SQLite from the rows
the batch inserted.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from bot.storage._event_rows import InteractionRow, MemberKey, members_of
from bot.storage._statements import sqlite_activity_rollup
from bot.storage._types import sqlite_utc_text

_ROWS_PER_INSERT = 1000
"""12 values a row: well under SQLite's default limit of 32,766 variables a statement."""
_ROWS_PER_UPSERT = 1000

_ROWS_PER_MEMBERSHIP = 1000
"""Joins or leaves a statement: three values each."""
_ROLLUP = sqlite_activity_rollup()


Request = tuple[str, str, Sequence[Any]]
"""One statement to run: `("execute", sql, values)`, or `("fetch", sql, values)` for a query.

An execute's result is its affected-row count and last inserted id; a fetch's, its rows.
`COMMIT` ends the last list: whoever opened the transaction commits it there.
"""
COMMIT: Request = ("commit", "COMMIT", ())
Written = tuple[list[InteractionRow], list[dict[str, Any]]]
Steps = Generator[list[Request], list[Any], Written]
"""What `store` is: lists of statements out, their results in, what was written at the end."""

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


def store(prepared: Prepared, stale: Stale) -> Steps:
    """Write a prepared batch; return the rows that were new and the members written.

    Yields the statements to run, inside the batch's transaction, a list at a time
    (every row's insert first), and is sent each list's results. Rollups and members
    count only rows the database actually inserted, so a duplicate delivery is stored
    and counted once. `stale` says which seen members need writing.
    """
    new, first_id = yield from _insert_rows(prepared)
    if len(new) != len(prepared.rows):
        prepared = replace(prepare(new, stale), inserts=[])
    steps: list[Request] = []
    if new:
        steps.append(("execute", _ROLLUP, (first_id - 1,)))
    members = prepared.members
    for start in range(0, len(members), _ROWS_PER_UPSERT):
        chunk = members[start : start + _ROWS_PER_UPSERT]
        steps.append(
            ("execute", _members_sql(len(chunk)), [v for m in chunk for v in _member_values(m)])
        )
    for changes, assignment in ((prepared.joins, _JOINED), (prepared.leaves, _LEFT)):
        for start in range(0, len(changes), _ROWS_PER_MEMBERSHIP):
            chunk = changes[start : start + _ROWS_PER_MEMBERSHIP]
            steps.append(
                (
                    "execute",
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
            )
    steps.append(COMMIT)
    yield steps
    return new, members


def run_on(connection: Connection, steps: Steps, started: Callable[[], None]) -> Written:
    """Run `store`'s statements on a pooled connection (inside `AsyncConnection.run_sync`).

    `started` is called as the first statements go to SQLite.
    """
    started()
    results: list[Any] | None = None
    while True:
        try:
            requests = steps.send(results)  # type: ignore[arg-type]
        except StopIteration as done:
            written: Written = done.value
            return written
        results = []
        for operation, sql, values in requests:
            if operation == "commit":  # the caller's transaction commits
                results.append(None)
                continue
            result = connection.exec_driver_sql(sql, tuple(values))
            if operation == "fetch":
                results.append([tuple(row) for row in result])
            else:
                results.append((result.rowcount, result.lastrowid or 0))


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


def _insert_rows(
    prepared: Prepared,
) -> Generator[list[Request], list[Any], tuple[list[InteractionRow], int]]:
    """Insert rows, skipping known event ids; return the rows that were new and the first id.

    The batch holds SQLite's write lock (BEGIN IMMEDIATE), so the rows it inserts
    get consecutive ids ending at the last one inserted: when some rows were
    skipped, those ids tell the new rows apart.
    """
    rows = prepared.rows
    results = yield [("execute", sql, values) for sql, values in prepared.inserts]
    inserted = 0
    last_id = 0
    for count, last in results:
        if count > 0:
            inserted += count
            last_id = last
    first_id = last_id - inserted + 1
    if inserted == len(rows):
        return list(rows), first_id
    if not inserted:
        return [], first_id
    (found,) = yield [
        ("fetch", "SELECT community_id, event_id FROM interactions WHERE id >= ?", (first_id,))
    ]
    keys = {tuple(key) for key in found}
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
