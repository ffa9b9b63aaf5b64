"""What a kind of post drew, tallied the same way for rituals, prompts, trivia and polls.

Each use (a ritual post, a trivia round's questions of one category, a poll) is
looked up as `Answers`: how many answers it drew, from whom, how long the first
took, and which of those members had been quiet before it. `tally` sums the uses
of one name; `silent` flags the names used several times that never drew
anyone, and `best` ranks the ones drawing the most answers per use.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, String, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._figures import median
from bot.analytics._scope import Scope, as_date
from bot.storage._base import rows_table
from bot.storage.models import ActivityDailyRow

log = logging.getLogger(__name__)

_activity = ActivityDailyRow.__table__.c

QUIET_BEFORE = timedelta(days=30)
"""A member answering was quiet before when they had no activity this long before the use."""
FLAG_AFTER = 3
"""Uses of a prompt (category, poll kind) without a single answer before it is flagged."""
BEST_FROM = 2
"""Uses needed before a prompt (category, poll kind) can be shown among the best."""
BEST_SHOWN = 3


@dataclass(frozen=True, kw_only=True, slots=True)
class PostTally:
    """Uses of one ritual, prompt, trivia category or poll kind, and the answers they drew."""

    name: str
    """The ritual's name, `pool/item` for a prompt, the category or the poll kind."""
    posts: int
    """Uses: posts, trivia rounds that asked the category, polls."""
    replies: int
    """Replies, trivia answers, votes."""
    replied: int
    """Uses that drew at least one answer."""
    repliers: int
    """Distinct members who answered any of the uses."""
    quiet_repliers: int
    """Of those, members with no activity in the 30 days before the use they answered."""
    first_reply_hours: float | None
    """Median hours from a use to its first answer, over the uses that got one."""

    @property
    def replies_per_post(self) -> float:
        """Return the answers drawn per use."""
        return self.replies / self.posts if self.posts else 0.0

    @property
    def quiet_share(self) -> float | None:
        """Return the share of members answering who had been quiet before."""
        return self.quiet_repliers / self.repliers if self.repliers else None


@dataclass(slots=True)
class Answers:
    """What one use drew: answers, hours to the first, who answered, who was quiet before."""

    replies: int
    first: float | None
    repliers: set[str]
    quiet: set[str]


Use = tuple[date, Iterable[tuple[str, int, float]]]
"""One use: its day, and (member, answers, hours to first) rows of what it drew."""


async def answered(conn: AsyncConnection, scope: Scope, uses: Sequence[Use]) -> list[Answers]:
    """Return the `Answers` of each use, in order.

    Which members answering had no activity in the `QUIET_BEFORE` days before their
    use is looked up for every use at once (see `_active_before`).
    """
    found: list[Answers] = []
    for _day, rows in uses:
        replies, firsts, repliers = 0, [], set()
        for member, count, hours in rows:
            replies += count
            repliers.add(member)
            firsts.append(hours)
        found.append(
            Answers(
                replies=replies,
                first=min(firsts) if firsts else None,
                repliers=repliers,
                quiet=set(),
            )
        )
    asked: dict[date, set[str]] = defaultdict(set)
    for (day, _rows), answers in zip(uses, found, strict=True):
        asked[day] |= answers.repliers
    active = await _active_before(conn, scope, asked)
    for (day, _rows), answers in zip(uses, found, strict=True):
        answers.quiet = answers.repliers - active.get(day, set())
    return found


async def _active_before(
    conn: AsyncConnection, scope: Scope, asked: dict[date, set[str]]
) -> dict[date, set[str]]:
    """Return, of the members asked about on each day, those active in the days before.

    Every (member, day) pair goes in one statement (`rows_table`), each checked by one
    lookup of the rollups' primary key: a year of polls and rounds is one round trip,
    not one a day.
    """
    seen: dict[date, set[str]] = defaultdict(set)
    pairs = [
        (member, day, day - QUIET_BEFORE)
        for day, members in asked.items()
        for member in sorted(members)
    ]
    if not pairs:
        return seen
    pair = rows_table(
        conn.dialect, "asked", (("member_id", String()), ("day", Date()), ("since", Date())), pairs
    )
    before = exists().where(
        _activity.community_id == scope.community_id,
        _activity.member_id == pair.c.member_id,
        _activity.day >= pair.c.since,
        _activity.day < pair.c.day,
    )
    for member, day in await conn.execute(select(pair.c.member_id, pair.c.day).where(before)):
        seen[as_date(day)].add(str(member))
    return seen


def tally(name: str, uses: Sequence[Answers]) -> PostTally:
    """Return the tally of the uses of `name`."""
    repliers = set().union(*(use.repliers for use in uses))
    quiet = set().union(*(use.quiet for use in uses))
    firsts = [use.first for use in uses if use.first is not None]
    return PostTally(
        name=name,
        posts=len(uses),
        replies=sum(use.replies for use in uses),
        replied=sum(1 for use in uses if use.replies),
        repliers=len(repliers),
        quiet_repliers=len(quiet & repliers),
        first_reply_hours=median(firsts),
    )


def tallies(uses: dict[str, list[Answers]]) -> tuple[PostTally, ...]:
    """Return the tally of each name, by name."""
    return tuple(tally(name, found) for name, found in sorted(uses.items()))


def silent(found: Iterable[PostTally]) -> tuple[PostTally, ...]:
    """Return those used at least `FLAG_AFTER` times that never drew an answer."""
    return tuple(t for t in found if t.posts >= FLAG_AFTER and t.replies == 0)


def best(found: Iterable[PostTally]) -> tuple[PostTally, ...]:
    """Return those drawing the most answers per use (used at least `BEST_FROM` times)."""
    ranked = sorted(
        (t for t in found if t.posts >= BEST_FROM and t.replies),
        key=lambda t: (-t.replies_per_post, -t.repliers, t.name),
    )
    return tuple(ranked[:BEST_SHOWN])
