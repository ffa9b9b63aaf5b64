"""Questions: how fast they get a first answer, and which ones nobody answered.

A question is a member's top-level message with a question mark (the log marks
it at ingest, without keeping its text; never a bot's). Its first answer is the earliest message
of another member replying to it or posted in its thread; bots do not answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._period import Period
from bot.analytics._scope import POST_KINDS, Scope, human
from bot.storage import QUESTION, UnitOfWork
from bot.storage.models import InteractionLogRow, MemberRow

log = logging.getLogger(__name__)

_members = MemberRow.__table__.c
# Written as a literal so the planner can use the partial index of questions.
_IS_QUESTION: ColumnElement[str] = literal_column(f"'{QUESTION}'")


@dataclass(frozen=True, kw_only=True, slots=True)
class Question:
    """A question asked in a channel, and when it first got an answer (if it did)."""

    message_id: str
    channel_id: str | None
    member_id: str | None
    asked_at: datetime
    answered_at: datetime | None

    def waited(self) -> timedelta | None:
        """Return how long the question waited for its first answer, if it got one."""
        return None if self.answered_at is None else self.answered_at - self.asked_at

    def unanswered_after(self, delay: timedelta, as_of: datetime) -> bool:
        """Return whether `delay` has passed since it was asked without any answer in it."""
        if self.asked_at + delay > as_of:
            return False
        waited = self.waited()
        return waited is None or waited > delay


async def questions(
    uow: UnitOfWork, scope: Scope, since: datetime, until: datetime
) -> list[Question]:
    """Return the questions asked in [since, until), oldest first, with their first answer."""
    return await _asked(uow.connection, scope, since, until)


async def _asked(
    conn: AsyncConnection, scope: Scope, since: datetime, until: datetime
) -> list[Question]:
    log_table = InteractionLogRow.__table__
    asked = log_table.alias("asked")
    answer = log_table.alias("answer")

    def first_answer(link: ColumnElement[bool]) -> ScalarSelect[datetime]:
        return (
            select(func.min(answer.c.occurred_at))
            .where(
                answer.c.community_id == asked.c.community_id,
                link,
                answer.c.kind.in_(POST_KINDS),
                answer.c.member_id != asked.c.member_id,
                human(answer),
            )
            .scalar_subquery()
        )

    by_reply = first_answer(answer.c.reply_to == asked.c.message_id)
    in_thread = first_answer(
        and_(answer.c.thread_id.is_not(None), answer.c.thread_id == asked.c.message_id)
    )
    stmt = select(
        asked.c.message_id,
        asked.c.channel_id,
        asked.c.member_id,
        asked.c.occurred_at,
        by_reply,
        in_thread,
    ).where(
        asked.c.community_id == scope.community_id,
        asked.c.target == _IS_QUESTION,
        asked.c.occurred_at >= since,
        asked.c.occurred_at < until,
        # The log marks only members' top-level messages as questions: no kind or bot
        # test here, so the covering index answers without reading the table.
    )
    if scope.channel_id is not None:
        stmt = stmt.where(asked.c.channel_id == scope.channel_id)
    if scope.exclude:
        stmt = stmt.where(asked.c.member_id.not_in(sorted(scope.exclude)))
    stmt = stmt.order_by(asked.c.occurred_at)
    return [
        Question(
            message_id=message_id,
            channel_id=channel_id,
            member_id=member_id,
            asked_at=asked_at,
            answered_at=min(replied, threaded) if replied and threaded else replied or threaded,
        )
        for message_id, channel_id, member_id, asked_at, replied, threaded in (
            await conn.execute(stmt)
        ).all()
    ]


async def in_period(conn: AsyncConnection, scope: Scope, period: Period) -> list[Question]:
    """Return the questions asked during `period`."""
    return await _asked(conn, scope, period.since, period.until)


async def display_names(
    uow: UnitOfWork, community_id: int, member_ids: Sequence[str]
) -> dict[str, str]:
    """Return the stored display name of each of `member_ids` that is known."""
    if not member_ids:
        return {}
    stmt = select(_members.member_id, _members.display_name).where(
        _members.community_id == community_id, _members.member_id.in_(sorted(set(member_ids)))
    )
    return {member_id: name for member_id, name in await uow.connection.execute(stmt)}
