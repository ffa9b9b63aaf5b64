"""Questions: how fast they get a first answer, and which ones nobody answered.

A question is a member's top-level message with a question mark (the log marks
it at ingest, without keeping its text; never a bot's). Its first answer is the earliest message
of another member replying to it or posted in its thread; bots do not answer.

Looking a first answer up costs two index lookups and a read of the log per question
(125,000 questions in 90 days of a large community: most of a report's time). A report
stores the first answers it finds (`question_answers`), so later reports look up only
the questions that were still unanswered, or new.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._period import Period
from bot.analytics._scope import POST_KINDS, Scope, as_driver_array, epoch, human
from bot.storage import QUESTION, UnitOfWork
from bot.storage._base import insert_for
from bot.storage._types import UTCDateTime
from bot.storage.analytics import AnswerCheckRow, QuestionAnswerRow
from bot.storage.models import InteractionLogRow, MemberRow

log = logging.getLogger(__name__)

_members = MemberRow.__table__.c
_T = TypeVar("_T", datetime, float)
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
    stored: bool = False
    """Whether the first answer was read from `question_answers` rather than looked up."""

    def waited(self) -> timedelta | None:
        """Return how long the question waited for its first answer, if it got one."""
        return None if self.answered_at is None else self.answered_at - self.asked_at

    def unanswered_after(self, delay: timedelta, as_of: datetime) -> bool:
        """Return whether `delay` has passed since it was asked without any answer in it."""
        if self.asked_at + delay > as_of:
            return False
        waited = self.waited()
        return waited is None or waited > delay


def _lookups(question: FromClause) -> tuple[Select[Any], Select[Any]]:
    """Return the two lookups of a question's first answer, correlated to `question`.

    The earliest post of another member (never a bot) replying to it, and the earliest
    in its thread; each selects one column, `at`.
    """
    answer = InteractionLogRow.__table__.alias("answer")

    def first(link: ColumnElement[bool]) -> Select[Any]:
        return (
            select(func.min(answer.c.occurred_at).label("at"))
            .where(
                answer.c.community_id == question.c.community_id,
                link,
                answer.c.kind.in_(POST_KINDS),
                answer.c.member_id != question.c.member_id,
                human(answer),
            )
            .correlate(question)
        )

    return (
        first(answer.c.reply_to == question.c.message_id),
        first(and_(answer.c.thread_id.is_not(None), answer.c.thread_id == question.c.message_id)),
    )


def _statement(scope: Scope, since: datetime, until: datetime) -> Select[Any]:
    """Select each question of [since, until) with its stored answer or the two lookups."""
    asked = InteractionLogRow.__table__.alias("asked")
    reply, thread = _lookups(asked)
    stored = QuestionAnswerRow.__table__.alias("stored")
    known = stored.c.answered_at.is_not(None)
    # CASE leaves the lookups out for questions whose first answer is stored.
    by_reply = case((known, None), else_=reply.scalar_subquery())
    in_thread = case((known, None), else_=thread.scalar_subquery())
    stmt = (
        select(
            asked.c.message_id,
            asked.c.channel_id,
            asked.c.member_id,
            asked.c.occurred_at.label("asked_at"),
            stored.c.answered_at.label("stored_at"),
            by_reply.label("replied_at"),
            in_thread.label("threaded_at"),
        )
        .select_from(
            asked.outerjoin(
                stored,
                and_(
                    stored.c.community_id == asked.c.community_id,
                    stored.c.message_id == asked.c.message_id,
                ),
            )
        )
        .where(
            asked.c.community_id == scope.community_id,
            asked.c.target == _IS_QUESTION,
            asked.c.occurred_at >= since,
            asked.c.occurred_at < until,
            # The log marks only members' top-level messages as questions: no kind or bot
            # test here, so the covering index answers without reading the table.
        )
    )
    if scope.channel_id is not None:
        stmt = stmt.where(asked.c.channel_id == scope.channel_id)
    if scope.exclude:
        stmt = stmt.where(asked.c.member_id.not_in(sorted(scope.exclude)))
    return stmt.order_by(asked.c.occurred_at)


def _first(*moments: _T | None) -> _T | None:
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


async def questions(
    uow: UnitOfWork, scope: Scope, since: datetime, until: datetime
) -> list[Question]:
    """Return the questions asked in [since, until), oldest first, with their first answer."""
    return await _asked(uow.connection, scope, since, until)


async def _asked(
    conn: AsyncConnection, scope: Scope, since: datetime, until: datetime
) -> list[Question]:
    return [
        Question(
            message_id=message_id,
            channel_id=channel_id,
            member_id=member_id,
            asked_at=asked_at,
            answered_at=stored_at or _first(replied, threaded),
            stored=stored_at is not None,
        )
        for message_id, channel_id, member_id, asked_at, stored_at, replied, threaded in (
            await conn.execute(_statement(scope, since, until))
        ).all()
    ]


RECHECKED_IDS = 10_000
"""How far before the last lookup's newest log row answers are looked for again, in ids.

On PostgreSQL a writer's batch takes its ids before it commits, so rows a little older
than the last lookup's newest may have become visible after it: every writer's batch
in flight then is within this many ids (batches are hundreds of rows).
"""


async def settle_answers(
    conn: AsyncConnection, community_id: int, since: datetime, until: datetime
) -> None:
    """Look up and store the first answers of questions asked in [since, until).

    Questions never looked up are looked up in the log's indexes and stored with
    their first answer, or with none. Every stored question with no answer was then
    looked up as far as the community's `answer_checks` row: it gets its answer only
    from log rows written after, which are read once for all such questions, so a
    report's cost grows with what was logged since the last one, not with how many
    questions nobody answered. The same row says from when on every question is
    stored (`complete_since`, as far as `complete_id`): then only the questions logged
    since, and those asked before that time, are looked for among those not stored.
    The questions asked after `until` are looked up too, so that the row can say so.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        await conn.exec_driver_sql("SET LOCAL jit = off")  # as reports do: see build_report
        # Leaving out the questions already looked up hashes 250,000 of them.
        await conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    newest = (
        await conn.execute(select(func.max(InteractionLogRow.__table__.c.id)))
    ).scalar_one_or_none() or 0
    checks = AnswerCheckRow.__table__
    # Locked (PostgreSQL) until this lookup commits: an erasure, which drops stored
    # questions and unsets `complete_id`, then unsets it after, not before, this sets it.
    found = (
        await conn.execute(
            select(checks.c.checked_id, checks.c.complete_id, checks.c.complete_since)
            .where(checks.c.community_id == community_id)
            .with_for_update()
        )
    ).first()
    if found is not None:
        await _answers_since(conn, community_id, found.checked_id - RECHECKED_IDS)
    complete_since = found.complete_since if found is not None else None
    if found is None or found.complete_id is None or complete_since is None:
        await _look_up_new(conn, community_id, since)
        complete_since = since
    else:
        if since < complete_since:
            await _look_up_new(conn, community_id, since, until=complete_since)
            complete_since = since
        await _look_up_new(
            conn, community_id, complete_since, after_id=found.complete_id - RECHECKED_IDS
        )
    values = {"checked_id": newest, "complete_id": newest, "complete_since": complete_since}
    upsert = insert_for(dialect, checks).values(community_id=community_id, **values)
    await conn.execute(
        upsert.on_conflict_do_update(index_elements=[checks.c.community_id], set_=values)
    )


async def _answers_since(conn: AsyncConnection, community_id: int, after: int) -> None:
    """Store the first answers, among log rows after id `after`, of stored unanswered ones."""
    stored = QuestionAnswerRow.__table__
    answer = InteractionLogRow.__table__.alias("answer")

    def posts(link: ColumnElement[str | None]) -> Select[Any]:
        return select(link.label("link"), answer.c.member_id, answer.c.occurred_at).where(
            answer.c.id > after,
            answer.c.community_id == community_id,
            link.is_not(None),
            answer.c.kind.in_(POST_KINDS),
            human(answer),
        )

    since = union_all(posts(answer.c.reply_to), posts(answer.c.thread_id)).subquery("since")
    first = (
        select(stored.c.message_id, stored.c.asked_at, func.min(since.c.occurred_at))
        .join(
            since,
            and_(
                stored.c.community_id == community_id,
                stored.c.message_id == since.c.link,
                stored.c.member_id != since.c.member_id,
            ),
        )
        .where(stored.c.answered_at.is_(None))
        .group_by(stored.c.message_id, stored.c.asked_at)
    )
    found = [
        {"b_message": message_id, "b_at": at, "b_waited": (at - asked).total_seconds()}
        for message_id, asked, at in await conn.execute(first)
    ]
    if found:
        await conn.execute(
            update(QuestionAnswerRow)
            .where(
                stored.c.community_id == community_id,
                stored.c.message_id == bindparam("b_message"),
            )
            .values(
                answered_at=bindparam("b_at", type_=UTCDateTime()),
                waited=bindparam("b_waited"),
            ),
            found,
        )


async def _look_up_new(
    conn: AsyncConnection,
    community_id: int,
    since: datetime,
    *,
    until: datetime | None = None,
    after_id: int | None = None,
) -> None:
    """Look up the first answer of each question never looked up, and store what was found.

    The questions asked at or after `since` (and before `until`), logged after the
    row `after_id` when it is given.
    """
    asked = InteractionLogRow.__table__.alias("asked")
    stored = QuestionAnswerRow.__table__
    conditions = [
        asked.c.community_id == community_id,
        asked.c.target == _IS_QUESTION,
        asked.c.occurred_at >= since,
        ~exists().where(
            stored.c.community_id == asked.c.community_id,
            stored.c.message_id == asked.c.message_id,
        ),
    ]
    if until is not None:
        conditions.append(asked.c.occurred_at < until)
    if after_id is not None:
        conditions.append(asked.c.id > after_id)
    # The questions never looked up first, fenced off (OFFSET 0) so the planner does
    # not look up answers of questions it then leaves out.
    pending = (
        select(
            asked.c.community_id,
            asked.c.message_id,
            asked.c.channel_id,
            asked.c.member_id,
            asked.c.occurred_at.label("asked_at"),
        )
        .where(*conditions)
        .offset(0)
        .subquery("pending")
    )

    # One scalar over both lookups, so neither is evaluated twice.
    both = union_all(*_lookups(pending)).subquery("both")
    answered = select(func.min(both.c.at)).scalar_subquery()
    found = (
        select(
            pending.c.community_id,
            pending.c.message_id,
            pending.c.channel_id,
            pending.c.member_id,
            pending.c.asked_at,
            answered.label("answered_at"),
        )
        .offset(0)
        .subquery("found")
    )
    dialect = conn.dialect.name
    asked_epoch = epoch(dialect, found.c.asked_at)
    insert = insert_for(dialect, stored).from_select(
        [
            "community_id",
            "message_id",
            "channel_id",
            "member_id",
            "asked_at",
            "answered_at",
            "asked_hour",
            "waited",
        ],
        select(
            found,
            # Seconds are positive: SQLite's cast truncates, PostgreSQL's would round.
            cast(
                asked_epoch / 3600 if dialect == "sqlite" else func.floor(asked_epoch / 3600),
                BigInteger,
            ),
            epoch(dialect, found.c.answered_at) - asked_epoch,
        )
        # SQLite reads ON CONFLICT after a SELECT with no WHERE as a join's ON.
        .where(true()),
    )
    await conn.execute(
        insert.on_conflict_do_nothing(index_elements=[stored.c.community_id, stored.c.message_id])
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class QuestionFigures:
    """What a report shows of a period's questions, summed in the database."""

    asked: int
    waits: list[tuple[int, float]]
    """(hour asked, in whole hours since the epoch, and hours waited) of each answered one."""
    unanswered: int
    """Questions asked at least the scope's delay ago that got no answer within it."""
    still_open: list[Question]
    """The latest of those with no answer at all, newest first."""


async def question_figures(
    conn: AsyncConnection, scope: Scope, period: Period, as_of: datetime, *, listed: int
) -> QuestionFigures:
    """Return the period's question figures from the answers `settle_answers` stored.

    The questions are counted in the log's index of questions and the answers read
    from `question_answers` alone: every stored answer is one of the log's questions,
    with its time, channel and asker, so a question is unanswered within the delay
    when it is not among the stored answers that came within it. Only numbers come
    back for the 100,000 questions of a large period, and rows for `listed`.
    """
    asked = InteractionLogRow.__table__.alias("asked")
    stored = QuestionAnswerRow.__table__.alias("stored")
    cutoff = as_of - scope.unanswered_after
    conditions = [
        asked.c.community_id == scope.community_id,
        asked.c.target == _IS_QUESTION,
        asked.c.occurred_at >= period.since,
        asked.c.occurred_at < period.until,
    ]
    if scope.channel_id is not None:
        conditions.append(asked.c.channel_id == scope.channel_id)
    if scope.exclude:
        conditions.append(asked.c.member_id.not_in(sorted(scope.exclude)))
    eligible = asked.c.occurred_at <= cutoff
    total, due = (
        await conn.execute(
            select(func.count(), func.coalesce(func.sum(case((eligible, 1), else_=0)), 0)).where(
                *conditions
            )
        )
    ).one()
    answers = [
        stored.c.community_id == scope.community_id,
        stored.c.asked_at >= period.since,
        stored.c.asked_at < period.until,
        stored.c.waited.is_not(None),  # answered (read from the index, as the rest)
    ]
    if scope.channel_id is not None:
        answers.append(stored.c.channel_id == scope.channel_id)
    if scope.exclude:
        answers.append(stored.c.member_id.not_in(sorted(scope.exclude)))
    in_time = case(
        (
            and_(
                stored.c.asked_at <= cutoff,
                stored.c.waited <= scope.unanswered_after.total_seconds(),
            ),
            1,
        ),
        else_=0,
    )
    timely = func.coalesce(func.sum(in_time), 0)
    if conn.dialect.name == "postgresql":
        # One row: the count, the hours asked and the hours waited of the answered
        # questions in two flat arrays, paired in C: no row or pair is built in Python
        # for each of 100,000 of them.
        answered, hours, waited = (
            await conn.execute(
                select(
                    timely,
                    as_driver_array(func.array_agg(stored.c.asked_hour)),
                    as_driver_array(func.array_agg(stored.c.waited / 3600)),
                ).where(*answers)
            )
        ).one()
        waits = list(zip(hours or (), waited or (), strict=True))
    else:
        answered = (await conn.execute(select(timely).where(*answers))).scalar_one()
        stmt = select(stored.c.asked_hour, stored.c.waited).where(*answers)
        waits = [(hour, seconds / 3600) for hour, seconds in await conn.execute(stmt)]
    unanswered = int(due) - int(answered)
    # NOT EXISTS rather than the outer join: the planner then walks the newest questions
    # back and stops at the tenth without a stored answer (3 ms, not 130).
    latest = (
        select(asked.c.message_id, asked.c.channel_id, asked.c.member_id, asked.c.occurred_at)
        .where(
            *conditions,
            eligible,
            ~exists().where(
                stored.c.community_id == asked.c.community_id,
                stored.c.message_id == asked.c.message_id,
                stored.c.answered_at.is_not(None),
            ),
        )
        .order_by(asked.c.occurred_at.desc())
        .limit(listed)
    )
    return QuestionFigures(
        asked=int(total),
        waits=waits,
        unanswered=unanswered,
        still_open=[
            Question(
                message_id=message_id,
                channel_id=channel_id,
                member_id=member_id,
                asked_at=at,
                answered_at=None,
            )
            for message_id, channel_id, member_id, at in await conn.execute(latest)
        ],
    )


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
