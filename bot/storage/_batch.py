"""One ingest batch, in one transaction: log rows, daily rollups and members.

Rollups and members are updated only for rows the database actually inserted
(the INSERT returns them), so a duplicate delivery is stored and counted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._event_rows import InteractionRow
from bot.storage._statements import activity_upsert, interaction_insert, member_seen_upsert
from bot.storage._types import UTCDateTime
from bot.storage.models import MemberRow

_ROLLUP_COLUMN = {
    "message": 0,
    "reply": 1,
    "reaction": 2,
    "thread": 3,
    "command": 3,
    "choice": 3,
    "edit": 3,
}
"""Which rollup counter a kind adds to: messages, replies, reactions, other."""

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


@dataclass(frozen=True, kw_only=True, slots=True)
class BatchResult:
    """How many rows of a batch were new and how many were duplicates."""

    inserted: int
    duplicates: int


class BatchStatements:
    """The statements of a batch, built once per dialect."""

    def __init__(self, dialect: str) -> None:
        self.insert = interaction_insert(dialect)
        self.activity = activity_upsert(dialect)
        self.members = member_seen_upsert(dialect)


async def store_batch(
    connection: AsyncConnection, statements: BatchStatements, rows: Sequence[InteractionRow]
) -> BatchResult:
    """Insert `rows` (skipping known event ids) and roll up the ones that were new."""
    result = await connection.execute(statements.insert, [_log_params(row) for row in rows])
    returned = {(row.community_id, row.event_id) for row in result}
    new: list[InteractionRow] = []
    for row in rows:
        key = (row.community_id, row.event_id)
        if key in returned:
            returned.discard(key)
            new.append(row)
    activity, members, membership = _summaries(new)
    if activity:
        await connection.execute(statements.activity, activity)
    if members:
        await connection.execute(statements.members, members)
    joins = [params for kind, params in membership if kind == "join"]
    leaves = [params for kind, params in membership if kind == "leave"]
    if joins:
        await connection.execute(_JOINED, joins)
    if leaves:
        await connection.execute(_LEFT, leaves)
    return BatchResult(inserted=len(new), duplicates=len(rows) - len(new))


def _log_params(row: InteractionRow) -> dict[str, Any]:
    return {
        "community_id": row.community_id,
        "event_id": row.event_id,
        "kind": row.kind,
        "channel_id": row.channel_id,
        "thread_id": row.thread_id,
        "member_id": row.member_id,
        "message_id": row.message_id,
        "reply_to": row.reply_to,
        "target": row.target,
        "occurred_at": row.occurred_at,
        "meta": None if row.meta is None else dict(row.meta),
        "content": row.content,
    }


def _summaries(
    rows: Sequence[InteractionRow],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
    counts: dict[tuple[int, str, date], list[int]] = {}
    seen: dict[tuple[int, str], dict[str, Any]] = {}
    membership: dict[tuple[int, str], tuple[datetime, str, dict[str, Any]]] = {}
    for row in rows:
        if row.member_id is None:
            continue
        member = (row.community_id, row.member_id)
        column = _ROLLUP_COLUMN.get(row.kind)
        if column is not None and not row.is_bot:
            day = row.occurred_at.astimezone(UTC).date()
            counts.setdefault((row.community_id, row.member_id, day), [0, 0, 0, 0])[column] += 1
        if row.member_name is not None:
            _see(seen, member, row)
        if row.kind in ("join", "leave"):
            current = membership.get(member)
            if current is None or row.occurred_at >= current[0]:
                membership[member] = (row.occurred_at, row.kind, _membership(row))
    activity = [
        {
            "community_id": community_id,
            "member_id": member_id,
            "day": day,
            "messages": values[0],
            "replies": values[1],
            "reactions": values[2],
            "other": values[3],
        }
        for (community_id, member_id, day), values in counts.items()
    ]
    changes = [(kind, params) for _, kind, params in membership.values()]
    return activity, list(seen.values()), changes


def _see(
    seen: dict[tuple[int, str], dict[str, Any]], member: tuple[int, str], row: InteractionRow
) -> None:
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
        return
    if row.occurred_at >= entry["last_seen_at"]:
        entry["last_seen_at"] = row.occurred_at
        entry["display_name"] = row.member_name
        entry["is_bot"] = row.is_bot
        if row.joined_at is not None:
            entry["joined_at"] = row.joined_at
    entry["first_seen_at"] = min(entry["first_seen_at"], row.occurred_at)


def _membership(row: InteractionRow) -> dict[str, Any]:
    at = (row.joined_at or row.occurred_at) if row.kind == "join" else row.occurred_at
    return {"b_community": row.community_id, "b_member": row.member_id, "b_at": at}
