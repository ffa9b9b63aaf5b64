"""Which posts work: each ritual, prompt of the content library, trivia category and poll kind.

Over the twelve months up to the report's end, every ritual post sent (the outbox
records which prompt it used) is looked up: the member messages answering it within
a day (replying to it, in its thread, or anywhere in its channel when it has none, as
the ritual's response rate counts), how many members they came from, how long the
first one took, and how many of those members had been quiet (no activity in the
daily rollups) over the 30 days before. Ritual posts are few (a few a week), so each
costs two index lookups; the log is never scanned. Trivia rounds and polls of the
same months are tallied alike from their answers and votes (`bot.analytics._played`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._cohorts import COHORT_MONTHS
from bot.analytics._months import month_number, month_start
from bot.analytics._played import poll_uses, trivia_uses
from bot.analytics._scope import Scope, human
from bot.analytics._tallies import Answers, PostTally, answered, best, silent, tallies
from bot.storage import UnitOfWork
from bot.storage.models import InteractionLogRow, OutboxRow

log = logging.getLogger(__name__)

_outbox = OutboxRow.__table__.c
_log = InteractionLogRow.__table__.c

REPLY_WINDOW = timedelta(hours=24)
"""How long after a post a member message still counts as answering it."""
MIN_POSTS = 4
"""Ritual posts (or games) needed before a section shows anything but how many there were."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PostFigures:
    """Every ritual, prompt, trivia category and poll kind used over the months followed."""

    since: date
    posts: int
    rituals: tuple[PostTally, ...]
    prompts: tuple[PostTally, ...]
    games: int = 0
    """Trivia rounds and polls held over the months followed."""
    trivia: tuple[PostTally, ...] = ()
    """By category: the rounds that asked one of its questions, and their answers."""
    polls: tuple[PostTally, ...] = ()
    """By kind: the library's kinds, `own` (members' own), `twotruths`, `library` (unknown)."""

    @property
    def enough(self) -> bool:
        """Tell whether enough ritual posts were sent for the figures to mean something."""
        return self.posts >= MIN_POSTS

    @property
    def games_enough(self) -> bool:
        """Tell whether enough trivia rounds and polls were held to say which work."""
        return self.games >= MIN_POSTS

    @property
    def silent(self) -> tuple[PostTally, ...]:
        """Return the prompts used at least `FLAG_AFTER` times that never drew a reply."""
        return silent(self.prompts)

    @property
    def best(self) -> tuple[PostTally, ...]:
        """Return the prompts drawing the most replies per post (used at least twice)."""
        return best(self.prompts)

    @property
    def silent_trivia(self) -> tuple[PostTally, ...]:
        """Return the trivia categories asked in several rounds that nobody ever answered."""
        return silent(self.trivia)

    @property
    def silent_polls(self) -> tuple[PostTally, ...]:
        """Return the poll kinds opened several times that nobody ever voted in."""
        return silent(self.polls)


def _months(end: date) -> tuple[date, datetime, datetime]:
    """Return the first day of the twelve months complete by `end`, and their bounds."""
    last = month_number(end) - 1
    since_day = month_start(last - COHORT_MONTHS + 1)
    since = datetime.combine(since_day, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(month_start(last + 1), datetime.min.time(), tzinfo=UTC)
    return since_day, since, until


async def post_figures(conn: AsyncConnection, scope: Scope, end: date) -> PostFigures:
    """Return the ritual posts and games of the twelve months complete by `end`, tallied."""
    since_day, since, until = _months(end)
    total, by_ritual, by_prompt = await _ritual_posts(conn, scope, since, until)
    rounds, by_category = await trivia_uses(conn, scope, since, until)
    polls, by_kind = await poll_uses(conn, scope, since, until)
    return PostFigures(
        since=since_day,
        posts=total,
        rituals=tallies(by_ritual),
        prompts=tallies(by_prompt),
        games=rounds + polls,
        trivia=tallies(by_category),
        polls=tallies(by_kind),
    )


async def silent_prompts(uow: UnitOfWork, scope: Scope, end: date, pool: str) -> set[str]:
    """Return the items of `pool` the report of `end` flags: used 3 times or more, never answered.

    The same twelve complete months and the same replies as `post_figures` counts.
    """
    _since_day, since, until = _months(end)
    _total, _rituals, by_prompt = await _ritual_posts(
        uow.connection, scope, since, until, pool=pool
    )
    return {tally.name.split("/", 1)[1] for tally in silent(tallies(by_prompt))}


async def _ritual_posts(
    conn: AsyncConnection,
    scope: Scope,
    since: datetime,
    until: datetime,
    *,
    pool: str | None = None,
) -> tuple[int, dict[str, list[Answers]], dict[str, list[Answers]]]:
    """Return the ritual posts sent in [since, until) (of one pool), by ritual and by prompt."""
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
    if pool is not None:
        stmt = stmt.where(_outbox.pool == pool)
    sent = (await conn.execute(stmt)).all()
    uses = []
    for _job, _used, _item, channel, message, thread, sent_at in sent:
        at = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
        uses.append((at.date(), await _answers(conn, scope, channel, message, thread, at)))
    by_ritual: dict[str, list[Answers]] = defaultdict(list)
    by_prompt: dict[str, list[Answers]] = defaultdict(list)
    for (job, used, item, *_), answers in zip(sent, await answered(conn, scope, uses), strict=True):
        by_ritual[str(job).rsplit(":", 1)[-1]].append(answers)
        if used is not None and item is not None:
            by_prompt[f"{used}/{item}"].append(answers)
    return len(sent), by_ritual, by_prompt


async def _answers(
    conn: AsyncConnection,
    scope: Scope,
    channel: str,
    message: str,
    thread: str | None,
    sent: datetime,
) -> list[tuple[str, int, float]]:
    """Look up the member messages answering one post: (member, answers, hours to first)."""
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
    rows = []
    for member, count, first in await conn.execute(stmt):
        at = first if first.tzinfo else first.replace(tzinfo=UTC)
        rows.append((str(member), int(count), (at - sent).total_seconds() / 3600))
    return rows
