"""A batch of log rows on PostgreSQL: one statement inserts the rows and adds up the rollups.

The INSERT of the batch's columns returns the rows it inserted (known event ids are
skipped), and a second INSERT in the same statement (a data-modifying WITH) adds
their human activity to the daily rollups from those returned rows: one round trip
to the server, where reading the new rows back by id took another. The statement
sends back one row: how many rows were new and, only when some were skipped, the
keys of the new ones (decoding a record per row cost the event loop 0.25 s per
100,000 rows).

Each text column goes as one text, its values joined by a control character the
server splits on (`string_to_array`): asyncpg checks every element of an array
parameter against three abstract classes before encoding it, 40 ms of the event
loop per 8,000-row batch, against 10 ms for the joined texts. A batch holding a
value the joined text could not carry (the separator or the NULL mark in it, or a
value that is not text) goes as arrays, as before.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._driver import driver_of, translated
from bot.storage._event_rows import InteractionRow
from bot.storage._statements import ROLLUP_COLUMN, ROLLUP_KINDS

SEPARATOR = "\x1f"
"""Between the values of a joined text column (ASCII unit separator)."""

NULL = "\x1e"
"""A joined text column's value that stands for NULL (ASCII record separator)."""

_TYPES = (
    "integer varchar varchar varchar varchar varchar varchar varchar varchar timestamptz text text"
).split()
_TEXT = frozenset(index for index, kind in enumerate(_TYPES) if kind in ("varchar", "text"))
_COUNTS = ", ".join(
    "sum(CASE WHEN kind IN ({}) THEN 1 ELSE 0 END)".format(", ".join(f"'{k}'" for k in kinds))
    for kinds in ROLLUP_KINDS.values()
)
_COUNTED_KINDS = ", ".join(f"'{kind}'" for kind in ROLLUP_COLUMN)


def _statement(columns: str) -> str:
    return (
        "WITH new AS (INSERT INTO interactions (community_id, event_id, kind, channel_id, "  # noqa: S608 (constants only)
        "thread_id, member_id, message_id, reply_to, target, occurred_at, meta, content) "
        "SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11::jsonb, c12 FROM unnest("
        f"{columns}) AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12) "
        "ON CONFLICT (community_id, event_id) DO NOTHING "
        "RETURNING community_id, event_id, member_id, kind, occurred_at, meta), "
        # Days are UTC days; bots and kinds that are not activity are left out (`human()`).
        "counted AS (INSERT INTO activity_daily (community_id, member_id, day, "
        f"{', '.join(ROLLUP_KINDS)}) SELECT community_id, member_id, "
        f"(occurred_at AT TIME ZONE 'UTC')::date, {_COUNTS} FROM new "
        f"WHERE member_id IS NOT NULL AND kind IN ({_COUNTED_KINDS}) "
        "AND coalesce((meta ->> 'bot')::boolean, false) = false GROUP BY 1, 2, 3 "
        "ON CONFLICT (community_id, member_id, day) DO UPDATE SET "
        + ", ".join(f"{name} = activity_daily.{name} + excluded.{name}" for name in ROLLUP_KINDS)
        # Keys come back only when some row was skipped: most batches are all new.
        + ") SELECT count(*), CASE WHEN count(*) < $13 THEN array_agg(community_id) END, "
        "CASE WHEN count(*) < $13 THEN array_agg(event_id) END FROM new"
    )


_ARRAYS = _statement(", ".join(f"${n}::{kind}[]" for n, kind in enumerate(_TYPES, 1)))
_JOINED = _statement(
    ", ".join(
        f"string_to_array(${n}, E'\\x1f', E'\\x1e')" if n - 1 in _TEXT else f"${n}::{kind}[]"
        for n, kind in enumerate(_TYPES, 1)
    )
)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A batch's statement and parameters, built before its turn to be written."""

    statement: str
    parameters: list[Any]


def prepare(rows: Sequence[InteractionRow]) -> Prepared:
    """Build a batch's statement and parameters: pure Python, done while the last batch runs."""
    columns = list(zip(*(_values(row) for row in rows), strict=True))
    joined = [joined_text(column) if n in _TEXT else column for n, column in enumerate(columns)]
    statement, parameters = (_ARRAYS, columns) if None in joined else (_JOINED, joined)
    return Prepared(statement, [*parameters, len(rows)])


async def insert_rows(
    connection: AsyncConnection,
    rows: Sequence[InteractionRow],
    prepared: Prepared,
    release: Callable[[], None],
) -> list[InteractionRow]:
    """Insert rows, skipping known event ids, and roll them up; return the new rows.

    `release` is called once the INSERT is on its way to the server (at the latest
    when this returns or fails), so whatever it runs overlaps the server's work.
    """
    # Starts the adapter's transaction. The batch's commit returns once the server has
    # it, without waiting for its WAL to reach the disk: a killed Terreau loses nothing
    # committed, a server crash or power cut the last fraction of a second of the log
    # (as SQLite's synchronous = NORMAL), and each batch no longer waits for a sync.
    await connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
    driver = await driver_of(connection)
    released = False

    def release_once() -> None:
        nonlocal released
        if not released:
            released = True
            release()

    # asyncpg encodes and sends the statement before it first waits: a callback
    # scheduled now runs once the server has the rows.
    asyncio.get_running_loop().call_soon(release_once)
    try:
        inserted, communities, events = await translated(
            driver.fetchrow(prepared.statement, *prepared.parameters), prepared.statement
        )
    finally:
        release_once()
    if inserted == len(rows):
        return list(rows)
    keys = set(zip(communities or (), events or (), strict=True))
    new: list[InteractionRow] = []
    for row in rows:
        key = (row.community_id, row.event_id)
        if key in keys:
            keys.discard(key)
            new.append(row)
    return new


def joined_text(values: Sequence[Any]) -> str | None:
    """Return `values` as one text the server splits back, or None if it cannot carry them.

    Values are joined by `SEPARATOR`, a NULL written `NULL`; a value holding either
    character, a value that is not text, or a lone empty text (which the server
    splits into no value at all) cannot be carried.
    """
    nulls = values.count(None)
    if nulls == len(values):
        return SEPARATOR.join([NULL] * nulls)
    try:
        text = SEPARATOR.join(
            values if not nulls else [NULL if value is None else value for value in values]
        )
    except TypeError:
        return None
    if text and text.count(SEPARATOR) == len(values) - 1 and text.count(NULL) == nulls:
        return text
    return None


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
        row.occurred_at,
        None if row.meta is None else json.dumps(dict(row.meta)),
        row.content,
    )
