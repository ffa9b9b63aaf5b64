"""Where conversations happen: posts, reactions and answered questions per channel.

Posts and reactions come from the hourly counts (`activity_hourly`), so a channel's
figures over 90 days cost a few thousand rows; excluded members' own rows are taken
back out of them from the log. Questions and how many got an answer within the
scope's delay come from the questions' index and the stored first answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._hours import hour_of
from bot.analytics._period import Period
from bot.analytics._questions import _IS_QUESTION
from bot.analytics._scope import POST_KINDS, Scope, human
from bot.storage.analytics import ActivityHourlyRow, QuestionAnswerRow
from bot.storage.models import InteractionLogRow

log = logging.getLogger(__name__)

_hourly = ActivityHourlyRow.__table__.c
_log = InteractionLogRow.__table__.c

QUIET_FROM = 20
"""Posts a channel needs in the period before to be said to have gone quiet."""
QUIET_SHARE = 0.5
"""Gone quiet: fewer posts than this share of those of the period before."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelActivity:
    """One channel over a period, and its posts in the period before."""

    channel_id: str
    posts: int
    reactions: int
    previous_posts: int
    questions: int
    answered: int
    """Questions that got a first answer within the scope's delay."""

    @property
    def answered_share(self) -> float | None:
        """Return the share of questions answered within the delay, if any were asked."""
        return self.answered / self.questions if self.questions else None

    @property
    def quiet(self) -> bool:
        """Tell whether the channel has gone quiet: far fewer posts than the period before."""
        return self.previous_posts >= QUIET_FROM and self.posts < QUIET_SHARE * self.previous_posts


async def channel_activity(
    conn: AsyncConnection, scope: Scope, period: Period
) -> list[ChannelActivity]:
    """Return every channel with activity in the period or the one before, busiest first."""
    before = period.previous()
    first, middle, end = hour_of(before.since), hour_of(period.since), hour_of(period.until)
    now = _hourly.hour >= middle
    stmt = (
        select(
            _hourly.channel_id,
            func.sum(case((now, _hourly.posts), else_=0)),
            func.sum(case((now, _hourly.reactions), else_=0)),
            func.sum(case((now, 0), else_=_hourly.posts)),
        )
        .where(
            _hourly.community_id == scope.community_id,
            _hourly.hour >= first,
            _hourly.hour < end,
            _hourly.channel_id != "",
        )
        .group_by(_hourly.channel_id)
    )
    counts = {
        channel: [int(posts), int(reactions), int(previous)]
        for channel, posts, reactions, previous in await conn.execute(stmt)
    }
    if scope.exclude:
        recent = _log.occurred_at >= period.since
        post = _log.kind.in_(POST_KINDS)
        excluded = (
            select(
                _log.channel_id,
                func.sum(case((and_(recent, post), 1), else_=0)),
                func.sum(case((and_(recent, _log.kind == "reaction"), 1), else_=0)),
                func.sum(case((and_(~recent, post), 1), else_=0)),
            )
            .where(
                _log.community_id == scope.community_id,
                _log.member_id.in_(sorted(scope.exclude)),
                _log.occurred_at >= before.since,
                _log.occurred_at < period.until,
                _log.channel_id.is_not(None),
                human(InteractionLogRow.__table__),
            )
            .group_by(_log.channel_id)
        )
        for channel, less_posts, less_reactions, less_previous in await conn.execute(excluded):
            row = counts.setdefault(channel, [0, 0, 0])
            row[0] -= int(less_posts)
            row[1] -= int(less_reactions)
            row[2] -= int(less_previous)
    answered = await _answered(conn, scope, period)
    channels = [
        ChannelActivity(
            channel_id=channel,
            posts=posts,
            reactions=reactions,
            previous_posts=previous,
            questions=answered.get(channel, (0, 0))[0],
            answered=answered.get(channel, (0, 0))[1],
        )
        for channel, (posts, reactions, previous) in counts.items()
    ]
    return sorted(channels, key=lambda c: (-c.posts, -c.previous_posts, c.channel_id))


async def _answered(
    conn: AsyncConnection, scope: Scope, period: Period
) -> dict[str, tuple[int, int]]:
    """Return each channel's questions and how many got a first answer within the delay.

    Questions are counted in the log's index of questions, answers in the stored
    answers alone (each one of those questions, with its channel and asker).
    """
    asked = InteractionLogRow.__table__.alias("asked")
    stored = QuestionAnswerRow.__table__.alias("stored")
    delay = scope.unanswered_after.total_seconds()
    questions = (
        select(asked.c.channel_id, func.count())
        .where(
            asked.c.community_id == scope.community_id,
            asked.c.target == _IS_QUESTION,
            asked.c.occurred_at >= period.since,
            asked.c.occurred_at < period.until,
            scope.keeps(asked.c.member_id),
        )
        .group_by(asked.c.channel_id)
    )
    in_time = (
        select(stored.c.channel_id, func.count())
        .where(
            stored.c.community_id == scope.community_id,
            stored.c.asked_at >= period.since,
            stored.c.asked_at < period.until,
            stored.c.waited <= delay,
            scope.keeps(stored.c.member_id),
        )
        .group_by(stored.c.channel_id)
    )
    within: dict[str | None, int] = {
        channel: int(count) for channel, count in await conn.execute(in_time)
    }
    return {
        channel: (int(total), int(within.get(channel, 0)))
        for channel, total in await conn.execute(questions)
        if channel is not None
    }
