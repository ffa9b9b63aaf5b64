"""Upsert statements shared by the repositories and the batched interaction writer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlalchemy.sql.dml import ReturningInsert

from bot.storage._base import Upsert, insert_for
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


def activity_upsert(dialect: str) -> Upsert:
    """Add per-member daily counts to the rollup (parameters: the table's columns)."""
    stmt = insert_for(dialect, ActivityDailyRow.__table__)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[_activity.community_id, _activity.member_id, _activity.day],
        set_={
            "messages": _activity.messages + new.messages,
            "replies": _activity.replies + new.replies,
            "reactions": _activity.reactions + new.reactions,
            "other": _activity.other + new.other,
        },
    )


def interaction_insert(dialect: str) -> ReturningInsert[Any]:
    """Insert log rows, skipping known event ids, returning the ids actually inserted."""
    stmt = insert_for(dialect, InteractionLogRow.__table__)
    keys = [_log.community_id, _log.event_id]
    return stmt.on_conflict_do_nothing(index_elements=keys).returning(*keys)
