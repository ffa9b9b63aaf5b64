"""Upsert statements shared by the repositories and the batched interaction writer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, literal_column
from sqlalchemy import select as select_
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.elements import ColumnElement

from bot.storage._base import Upsert, insert_for
from bot.storage._interactions import human
from bot.storage.models import ActivityDailyRow, InteractionLogRow, MemberRow

_members = MemberRow.__table__.c
_activity = ActivityDailyRow.__table__.c
_log = InteractionLogRow.__table__.c


def member_seen_upsert(dialect: str) -> Upsert:
    """Insert a member or refresh them: latest name, widest first/last seen window.

    Parameters: community_id, member_id, display_name, is_bot, joined_at,
    first_seen_at, last_seen_at. A known `joined_at` replaces the stored one.
    """
    stmt = insert_for(dialect, MemberRow.__table__)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[_members.community_id, _members.member_id],
        set_={
            "display_name": new.display_name,
            "is_bot": new.is_bot,
            "joined_at": func.coalesce(new.joined_at, _members.joined_at),
            "first_seen_at": case(
                (new.first_seen_at < _members.first_seen_at, new.first_seen_at),
                else_=_members.first_seen_at,
            ),
            "last_seen_at": case(
                (new.last_seen_at > _members.last_seen_at, new.last_seen_at),
                else_=_members.last_seen_at,
            ),
        },
    )


ROLLUP_KINDS = {
    "messages": ("message",),
    "replies": ("reply",),
    "reactions": ("reaction",),
    "other": ("thread", "command", "choice", "edit"),
}
"""Which kinds each daily rollup counter adds up; other kinds are not activity."""

ROLLUP_COLUMN = {kind: index for index, kinds in enumerate(ROLLUP_KINDS.values()) for kind in kinds}
"""The rollup counter (0 messages, 1 replies, 2 reactions, 3 other) of each counted kind."""


def sqlite_activity_rollup() -> str:
    """Add the human activity of the SQLite log rows whose id is above `?` to the rollups.

    SQLite keeps timestamps as UTC text, so the day is its date part. The one
    parameter is the last id before the batch's rows.
    """
    stmt = _rollup("sqlite", func.date(_log.occurred_at), _log.id > literal_column("?"))
    return str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def _rollup(dialect: str, day: ColumnElement[Any], rows_wanted: ColumnElement[bool]) -> Upsert:
    counts = [
        func.sum(case((_log.kind.in_(kinds), 1), else_=0)).label(name)
        for name, kinds in ROLLUP_KINDS.items()
    ]
    rows = (
        select_(_log.community_id, _log.member_id, day.label("day"), *counts)
        .where(
            rows_wanted,
            _log.member_id.is_not(None),
            _log.kind.in_(list(ROLLUP_COLUMN)),
            human(),
        )
        # The day first: no index gives that order, so SQLite reads the batch's rows
        # by id range instead of walking (community, member) index in GROUP BY order.
        .group_by(day, _log.community_id, _log.member_id)
    )
    stmt = insert_for(dialect, ActivityDailyRow.__table__).from_select(
        ["community_id", "member_id", "day", *ROLLUP_KINDS], rows
    )
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[_activity.community_id, _activity.member_id, _activity.day],
        set_={name: _activity[name] + new[name] for name in ROLLUP_KINDS},
    )
