"""Queries over the interaction log, plus retention and erasure.

Bot-authored rows carry `meta = {"bot": true}`; every query here counts people only.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, false, func, or_, select

from bot.storage._base import Repository, require_aware
from bot.storage.models import ActivityDailyRow, InteractionLogRow, MemberRow
from bot.storage.records import ActivityDay

_log = InteractionLogRow.__table__.c
_activity = ActivityDailyRow.__table__.c
_members = MemberRow.__table__.c

MESSAGE_KINDS = ("message", "reply")


def human() -> ColumnElement[bool]:
    """Return a condition true for log rows not written by a bot."""
    return func.coalesce(_log.meta["bot"].as_boolean(), false()) == false()


class Interactions(Repository):
    """Read and prune the interaction log (the writer appends to it in batches)."""

    async def channel_seen(self, community_id: int, channel_id: str) -> bool:
        """Return whether the log holds anything that happened in `channel_id`."""
        stmt = (
            select(_log.id)
            .where(_log.community_id == community_id, _log.channel_id == channel_id)
            .limit(1)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def count_responses(
        self,
        community_id: int,
        channel_id: str,
        message_id: str,
        thread_id: str | None,
        since: datetime,
        until: datetime,
        *,
        exclude: Collection[str] = (),
    ) -> int:
        """Count member messages in [since, until) answering a post.

        A message answers when it replies to `message_id`, is posted in `thread_id`,
        or, when the post has no thread, is posted anywhere in `channel_id`.
        Messages of the members in `exclude` are not counted.
        """
        answers = [_log.reply_to == message_id]
        if thread_id is not None:
            answers.append(_log.thread_id == thread_id)
        else:
            answers.append(_log.channel_id == channel_id)
        stmt = select(func.count()).where(
            _log.community_id == community_id,
            _log.kind.in_(MESSAGE_KINDS),
            _log.member_id.is_not(None),
            _log.occurred_at >= require_aware(since, "since"),
            _log.occurred_at < require_aware(until, "until"),
            or_(*answers),
            human(),
        )
        if exclude:
            stmt = stmt.where(_log.member_id.not_in(sorted(exclude)))
        return int((await self._connection.execute(stmt)).scalar_one())

    async def daily_activity(
        self, community_id: int, since: date, until: date, *, member_id: str | None = None
    ) -> list[ActivityDay]:
        """Return the daily rollups of days in [since, until), by day then member."""
        stmt = select(ActivityDailyRow.__table__).where(
            _activity.community_id == community_id,
            _activity.day >= since,
            _activity.day < until,
        )
        if member_id is not None:
            stmt = stmt.where(_activity.member_id == member_id)
        stmt = stmt.order_by(_activity.day, _activity.member_id)
        return [
            ActivityDay(
                community_id=row.community_id,
                member_id=row.member_id,
                day=row.day,
                messages=row.messages,
                replies=row.replies,
                reactions=row.reactions,
                other=row.other,
            )
            for row in await self._connection.execute(stmt)
        ]

    async def purge_before(self, community_id: int, before: datetime) -> int:
        """Delete a community's log rows older than `before`; return how many went."""
        stmt = delete(InteractionLogRow).where(
            _log.community_id == community_id,
            _log.occurred_at < require_aware(before, "before"),
        )
        return (await self._connection.execute(stmt)).rowcount

    async def erase_member(self, community_id: int, member_id: str) -> int:
        """Erase a member's log rows, rollups and member record; opt-outs are kept.

        Returns the number of log rows deleted.
        """
        deleted = await self._connection.execute(
            delete(InteractionLogRow).where(
                _log.community_id == community_id, _log.member_id == member_id
            )
        )
        await self._connection.execute(
            delete(ActivityDailyRow).where(
                _activity.community_id == community_id, _activity.member_id == member_id
            )
        )
        await self._connection.execute(
            delete(MemberRow).where(
                _members.community_id == community_id, _members.member_id == member_id
            )
        )
        return deleted.rowcount
