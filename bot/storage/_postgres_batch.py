"""A batch of log rows on PostgreSQL: one INSERT of column arrays, the rollup in SQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._driver import driver_of, translated
from bot.storage._event_rows import InteractionRow
from bot.storage._statements import activity_rollup

_INSERT = (
    "INSERT INTO interactions (community_id, event_id, kind, channel_id, thread_id, "
    "member_id, message_id, reply_to, target, occurred_at, meta, content) "
    "SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11::jsonb, c12 FROM unnest("
    "$1::integer[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], "
    "$6::varchar[], $7::varchar[], $8::varchar[], $9::varchar[], $10::timestamptz[], "
    "$11::text[], $12::text[]) AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12) "
    "ON CONFLICT (community_id, event_id) DO NOTHING RETURNING id, community_id, event_id"
)
_ROLLUP = activity_rollup()


async def insert_rows(
    connection: AsyncConnection, rows: Sequence[InteractionRow], release: Callable[[], None]
) -> tuple[list[InteractionRow], list[int]]:
    """Insert rows, skipping known event ids; return the new rows and their ids.

    `release` is called just before the INSERT goes to the server.
    """
    await connection.exec_driver_sql("SELECT 1")  # starts the adapter's transaction
    driver = await driver_of(connection)
    columns = list(zip(*(_values(row) for row in rows), strict=True))
    release()
    returned = await translated(driver.fetch(_INSERT, *columns), _INSERT)
    keys = {(record["community_id"], record["event_id"]) for record in returned}
    new: list[InteractionRow] = []
    for row in rows:
        key = (row.community_id, row.event_id)
        if key in keys:
            keys.discard(key)
            new.append(row)
    return new, [record["id"] for record in returned]


async def add_activity(connection: AsyncConnection, ids: list[int]) -> None:
    """Add the human activity of the log rows `ids` to the daily rollups (UTC days)."""
    await connection.execute(_ROLLUP, {"ids": ids})


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
