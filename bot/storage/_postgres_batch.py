"""A batch of log rows on PostgreSQL: COPY into the log, then one statement for the rollups.

A batch's rows go in by COPY, the server's fastest way in (the table's rows written
and logged a page at a time, no conflict check per row), inside a savepoint; their
human activity is then added to the daily rollups by one INSERT ... SELECT ...
GROUP BY ... ON CONFLICT from the same columns. Server and event-loop CPU per 100,000 rows fell
from 4.6 s to 3.7 s against the INSERT below, and the pipeline ran 1.25 times as
fast (alternating runs).

Should the COPY fail (an event id already stored or twice in the batch, or a row
the server or driver refuses), the savepoint is rolled back and the batch goes by
one statement that inserts the rows, skipping known event ids (ON CONFLICT DO
NOTHING), and adds up the rollups of those it inserted in a data-modifying WITH;
it fails as it always did on refused rows, and the writer then isolates them. That
statement sends back one row: how many rows were new and, only when some were
skipped, the keys of the new ones.

The statements' text columns go as one text each, the values joined by a control
character the server splits on (`string_to_array`): asyncpg checks every element
of an array parameter against three abstract classes before encoding it, 40 ms of
the event loop per 8,000-row batch, against 10 ms for the joined texts. A statement
with a value a joined text could not carry (the separator or the NULL mark in it,
or a value that is not text) gets its columns as arrays.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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


def _columns(indexes: Sequence[int], *, joined: bool) -> str:
    """Return the parameters of `indexes` (positions in `_TYPES`) as arrays, in that order."""
    return ", ".join(
        f"string_to_array(${n}, E'\\x1f', E'\\x1e')"
        if joined and index in _TEXT
        else f"${n}::{_TYPES[index]}[]"
        for n, index in enumerate(indexes, 1)
    )


def _rollup(columns: str) -> str:
    """Add up the daily rollups of rows all inserted, from five of their columns."""
    return (
        "INSERT INTO activity_daily (community_id, member_id, day, "  # noqa: S608 (constants only)
        f"{', '.join(ROLLUP_KINDS)}) SELECT community_id, member_id, "
        f"(occurred_at AT TIME ZONE 'UTC')::date, {_COUNTS} FROM unnest({columns}) "
        "AS new(community_id, member_id, kind, occurred_at, meta) "
        f"WHERE member_id IS NOT NULL AND kind IN ({_COUNTED_KINDS}) "
        "AND coalesce((meta::jsonb ->> 'bot')::boolean, false) = false GROUP BY 1, 2, 3 "
        "ON CONFLICT (community_id, member_id, day) DO UPDATE SET "
        + ", ".join(f"{name} = activity_daily.{name} + excluded.{name}" for name in ROLLUP_KINDS)
    )


_ALL = range(len(_TYPES))
_ROLLED_UP = (0, 5, 2, 9, 10)  # community_id, member_id, kind, occurred_at, meta
_ARRAYS = _statement(_columns(_ALL, joined=False))
_JOINED = _statement(_columns(_ALL, joined=True))
_ROLLUP_ARRAYS = _rollup(_columns(_ROLLED_UP, joined=False))
_ROLLUP_JOINED = _rollup(_columns(_ROLLED_UP, joined=True))
_COPIED = (
    "community_id, event_id, kind, channel_id, thread_id, member_id, message_id, reply_to, "
    "target, occurred_at, meta, content"
).split(", ")


COPY_MIN_ROWS = 100
"""Smaller batches go by the INSERT ... ON CONFLICT statement alone.

A COPY costs a savepoint and two round trips more: a batch of one row took 1.6 ms
by COPY against 1.4 ms by the statement; from about 100 rows COPY is faster
(7.4 ms against 9.1 ms at 100, 55 ms against 65 ms at 1,000).
"""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A batch's rows and its rollup statement, built before its turn to be written."""

    records: list[tuple[Any, ...]]
    copy: bool
    rollup: str = ""
    rollup_parameters: list[Any] = field(default_factory=list)


def prepare(rows: Sequence[InteractionRow]) -> Prepared:
    """Build a batch's rows and rollup statement: pure Python, done while the last batch runs."""
    records = [_values(row) for row in rows]
    if len(records) < COPY_MIN_ROWS:
        return Prepared(records=records, copy=False)
    columns: list[list[Any]] = [
        [row.community_id for row in rows],
        [row.member_id for row in rows],
        [row.kind for row in rows],
        [record[9] for record in records],
        [record[10] for record in records],
    ]
    joined = [
        joined_text(column) if n in _TEXT else column
        for n, column in zip(_ROLLED_UP, columns, strict=True)
    ]
    if None in joined:
        return Prepared(
            records=records, copy=True, rollup=_ROLLUP_ARRAYS, rollup_parameters=columns
        )
    return Prepared(records=records, copy=True, rollup=_ROLLUP_JOINED, rollup_parameters=joined)


def _statement_parameters(prepared: Prepared) -> tuple[str, list[Any]]:
    """Return the INSERT ... ON CONFLICT statement of a batch and its parameters."""
    columns = list(zip(*prepared.records, strict=True))
    joined = [joined_text(column) if n in _TEXT else column for n, column in enumerate(columns)]
    if None in joined:
        return _ARRAYS, [*columns, len(prepared.records)]
    return _JOINED, [*joined, len(prepared.records)]


async def insert_rows(
    connection: AsyncConnection,
    rows: Sequence[InteractionRow],
    prepared: Prepared,
    release: Callable[[], None],
) -> list[InteractionRow]:
    """Insert rows, skipping known event ids, and roll them up; return the new rows.

    `release` is called once the rows are on their way to the server (at the latest
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

    loop = asyncio.get_running_loop()
    try:
        if prepared.copy and await _copied(driver, prepared, release_once):
            return list(rows)
        statement, parameters = _statement_parameters(prepared)
        # asyncpg encodes and sends the statement before it first waits: a callback
        # scheduled now runs once the server has the rows.
        loop.call_soon(release_once)
        inserted, communities, events = await translated(
            driver.fetchrow(statement, *parameters), statement
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


async def _copied(driver: Any, prepared: Prepared, release: Callable[[], None]) -> bool:
    """COPY a batch's rows and add up their rollups; False, with nothing written, if refused."""
    await translated(driver.execute("SAVEPOINT terreau_batch"), "SAVEPOINT")
    # asyncpg encodes and sends the rows before it first waits: a callback
    # scheduled now runs once the server has them.
    asyncio.get_running_loop().call_soon(release)
    try:
        await driver.copy_records_to_table(
            "interactions", records=prepared.records, columns=_COPIED
        )
    except Exception:
        # An event id already stored or twice in the batch, or a row the server or
        # the driver refuses: the caller sends the same rows by INSERT ... ON CONFLICT
        # DO NOTHING, which skips known event ids and fails as it always did on the rest.
        await translated(driver.execute("ROLLBACK TO SAVEPOINT terreau_batch"), "ROLLBACK")
        return False
    await translated(driver.execute(prepared.rollup, *prepared.rollup_parameters), prepared.rollup)
    return True


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
