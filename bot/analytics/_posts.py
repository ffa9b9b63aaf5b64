"""Which posts work: each ritual and each prompt of the content library, and who answered.

Over the twelve months up to the report's end, every ritual post sent (the outbox
records which prompt it used) is looked up: the member messages answering it within
a day (replying to it, in its thread, or anywhere in its channel when it has none, as
the ritual's response rate counts), how many members they came from, how long the
first one took, and how many of those members had been quiet (no activity in the
daily rollups) over the 30 days before. Ritual posts are few (a few a week), so each
costs two index lookups; the log is never scanned.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._cohorts import COHORT_MONTHS
from bot.analytics._figures import median
from bot.analytics._months import month_number, month_start
from bot.analytics._scope import Scope, human
from bot.storage.models import ActivityDailyRow, InteractionLogRow, OutboxRow

log = logging.getLogger(__name__)

_outbox = OutboxRow.__table__.c
_log = InteractionLogRow.__table__.c
_activity = ActivityDailyRow.__table__.c

REPLY_WINDOW = timedelta(hours=24)
"""How long after a post a member message still counts as answering it."""
QUIET_BEFORE = timedelta(days=30)
"""A replier was quiet before when they had no activity this long before the post."""
FLAG_AFTER = 3
"""Uses of a prompt without a single reply before it is flagged to the operators."""
BEST_FROM = 2
"""Uses of a prompt needed before it can be shown among the best."""
BEST_SHOWN = 3
MIN_POSTS = 4
"""Ritual posts needed before the section shows anything but how many there were."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PostTally:
    """Posts of one ritual or one prompt, and the answers they drew."""

    name: str
    """The ritual's name, or `pool/item` for a prompt."""
    posts: int
    replies: int
    replied: int
    """Posts that drew at least one reply."""
    repliers: int
    """Distinct members who replied to any of the posts."""
    quiet_repliers: int
    """Of those, members with no activity in the 30 days before the post they answered."""
    first_reply_hours: float | None
    """Median hours from a post to its first reply, over the posts that got one."""

    @property
    def replies_per_post(self) -> float:
        """Return the replies drawn per post."""
        return self.replies / self.posts if self.posts else 0.0

    @property
    def quiet_share(self) -> float | None:
        """Return the share of repliers who had been quiet before."""
        return self.quiet_repliers / self.repliers if self.repliers else None


@dataclass(frozen=True, kw_only=True, slots=True)
class PostFigures:
    """Every ritual and prompt used over the months followed, with the flagged and best."""

    since: date
    posts: int
    rituals: tuple[PostTally, ...]
    prompts: tuple[PostTally, ...]

    @property
    def enough(self) -> bool:
        """Tell whether enough ritual posts were sent for the figures to mean something."""
        return self.posts >= MIN_POSTS

    @property
    def silent(self) -> tuple[PostTally, ...]:
        """Return the prompts used at least `FLAG_AFTER` times that never drew a reply."""
        return tuple(p for p in self.prompts if p.posts >= FLAG_AFTER and p.replies == 0)

    @property
    def best(self) -> tuple[PostTally, ...]:
        """Return the prompts drawing the most replies per post (used at least twice)."""
        ranked = sorted(
            (p for p in self.prompts if p.posts >= BEST_FROM and p.replies),
            key=lambda p: (-p.replies_per_post, -p.repliers, p.name),
        )
        return tuple(ranked[:BEST_SHOWN])


@dataclass(slots=True)
class _Answers:
    replies: int
    first: float | None
    repliers: set[str]
    quiet: set[str]


async def post_figures(conn: AsyncConnection, scope: Scope, end: date) -> PostFigures:
    """Return the ritual posts of the twelve months complete by `end`, by ritual and prompt."""
    last = month_number(end) - 1
    since_day = month_start(last - COHORT_MONTHS + 1)
    since = datetime.combine(since_day, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(month_start(last + 1), datetime.min.time(), tzinfo=UTC)
    stmt = (
        select(
            _outbox.job_id,
            _outbox.pool,
            _outbox.item_id,
            _outbox.channel_id,
            _outbox.message_id,
            _outbox.sent_thread_id,
            _outbox.sent_at,
        )
        .where(
            _outbox.community_id == scope.community_id,
            _outbox.job_id.like("posts:%"),
            _outbox.status == "sent",
            _outbox.sent_at >= since,
            _outbox.sent_at < until,
            _outbox.message_id.is_not(None),
        )
        .order_by(_outbox.sent_at)
    )
    by_ritual: dict[str, list[_Answers]] = defaultdict(list)
    by_prompt: dict[str, list[_Answers]] = defaultdict(list)
    total = 0
    for job, pool, item, channel, message, thread, sent_at in (await conn.execute(stmt)).all():
        sent = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
        answers = await _answers(conn, scope, channel, message, thread, sent)
        total += 1
        by_ritual[str(job).rsplit(":", 1)[-1]].append(answers)
        if pool is not None and item is not None:
            by_prompt[f"{pool}/{item}"].append(answers)
    return PostFigures(
        since=since_day,
        posts=total,
        rituals=tuple(_tally(name, posts) for name, posts in sorted(by_ritual.items())),
        prompts=tuple(_tally(name, posts) for name, posts in sorted(by_prompt.items())),
    )


async def _answers(
    conn: AsyncConnection,
    scope: Scope,
    channel: str,
    message: str,
    thread: str | None,
    sent: datetime,
) -> _Answers:
    """Look up the member messages answering one post, and which repliers were quiet."""
    answering = [_log.reply_to == message]
    answering.append(_log.thread_id == thread if thread is not None else _log.channel_id == channel)
    stmt = (
        select(_log.member_id, func.count(), func.min(_log.occurred_at))
        .where(
            _log.community_id == scope.community_id,
            _log.kind.in_(("message", "reply")),
            _log.member_id.is_not(None),
            _log.occurred_at >= sent,
            _log.occurred_at < sent + REPLY_WINDOW,
            or_(*answering),
            human(InteractionLogRow.__table__),
            scope.keeps(_log.member_id),
        )
        .group_by(_log.member_id)
    )
    replies, firsts, repliers = 0, [], set()
    for member, count, first in await conn.execute(stmt):
        replies += int(count)
        repliers.add(str(member))
        at = first if first.tzinfo else first.replace(tzinfo=UTC)
        firsts.append((at - sent).total_seconds() / 3600)
    quiet: set[str] = set()
    if repliers:
        day = sent.date()
        active = (
            select(_activity.member_id)
            .distinct()
            .where(
                _activity.community_id == scope.community_id,
                _activity.member_id.in_(sorted(repliers)),
                _activity.day >= day - QUIET_BEFORE,
                _activity.day < day,
            )
        )
        seen = {str(member) for (member,) in await conn.execute(active)}
        quiet = repliers - seen
    return _Answers(
        replies=replies, first=min(firsts) if firsts else None, repliers=repliers, quiet=quiet
    )


def _tally(name: str, posts: list[_Answers]) -> PostTally:
    repliers = set().union(*(p.repliers for p in posts))
    quiet = set().union(*(p.quiet for p in posts))
    firsts = [p.first for p in posts if p.first is not None]
    return PostTally(
        name=name,
        posts=len(posts),
        replies=sum(p.replies for p in posts),
        replied=sum(1 for p in posts if p.replies),
        repliers=len(repliers),
        quiet_repliers=len(quiet & repliers),
        first_reply_hours=median(firsts),
    )
