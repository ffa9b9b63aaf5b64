"""Advice from the heatmap: scheduled posts placed on it, and those posted at a quiet hour.

A scheduled post (a ritual, a game, the icebreaker) posts at a quiet hour when its
quietest local (weekday, hour) slot drew less than a third of the posts an hour of
the busiest two hours drew (the busiest of the whole week for a weekly post, of the
same weekday for one that posts on several days). The suggestion names that window,
says what it rests on (weeks and posts counted), and compares how fast questions
got a first answer at both times when each has enough answered questions. Below
`MIN_WEEKS` weeks or `MIN_POSTS` posts there is no advice at all: too little to say.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.analytics._figures import median
from bot.analytics._hours import HOURS, Heatmap
from bot.scheduling import parse_cron

log = logging.getLogger(__name__)

MIN_WEEKS = 4
MIN_POSTS = 200
MIN_QUESTIONS = 5
QUIET = 1 / 3
WINDOW = 2
FASTER = 1.5
"""First answers must come at least this many times faster to be worth saying."""

Slot = tuple[int, int]
"""A local (weekday, hour), Monday = 0."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Scheduled:
    """A post Terreau makes on a schedule, in the community's timezone."""

    kind: str
    """`ritual`, `game` or `icebreaker`."""
    name: str
    cron: str
    rests_pool: str | None = None
    """The content pool whose never-answered prompts its rotation rests (a ritual's), if any."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Placed:
    """A scheduled post and the local slots it posts at in a week."""

    scheduled: Scheduled
    slots: tuple[Slot, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Suggestion:
    """Move a scheduled post from a quiet slot to the busiest window, and why."""

    scheduled: Scheduled
    at: Slot
    best: Slot
    """The first hour of the busiest window; the window lasts `WINDOW` hours."""
    posts_at: float
    """Posts a week in the slot it posts at."""
    posts_best: float
    """Posts a week in an hour of the busiest window."""
    faster: float | None
    weeks: int
    posts: int
    questions: int
    """Answered questions the speed comparison rests on (0 when it is not made)."""


def place(scheduled: Scheduled, timezone: str, after: datetime) -> Placed:
    """Return the local slots `scheduled` posts at in the week after `after`."""
    zone = ZoneInfo(timezone)
    schedule = parse_cron(scheduled.cron)
    slots: set[Slot] = set()
    moment = after
    end = after + timedelta(days=7)
    while len(slots) < 7 * HOURS:
        moment = schedule.next_after(moment, zone)
        if moment > end:
            break
        local = moment.astimezone(zone)
        slots.add((local.weekday(), local.hour))
    return Placed(scheduled=scheduled, slots=tuple(sorted(slots)))


def enough(heatmap: Heatmap) -> bool:
    """Tell whether the heatmap holds enough history for advice."""
    return heatmap.weeks >= MIN_WEEKS and heatmap.total_posts >= MIN_POSTS


def _windows(heatmap: Heatmap, weekdays: Sequence[int]) -> list[tuple[int, Slot]]:
    return [
        (sum(heatmap.posts[day][hour + i] for i in range(WINDOW)), (day, hour))
        for day in weekdays
        for hour in range(HOURS - WINDOW + 1)
    ]


def _waits(heatmap: Heatmap, day: int, hours: range) -> list[float]:
    return [w for hour in hours for w in heatmap.waits.get((day, hour), ())]


def advise(heatmap: Heatmap, placed: Sequence[Placed]) -> list[Suggestion]:
    """Return a suggestion for each post placed at a quiet slot, the largest gap first."""
    if not enough(heatmap):
        return []
    weeks = heatmap.weeks
    found: list[tuple[float, Suggestion]] = []
    for item in placed:
        if not item.slots:
            continue
        at = min(item.slots, key=lambda slot: (heatmap.posts[slot[0]][slot[1]], slot))
        weekdays = {day for day, _hour in item.slots}
        pool = range(7) if len(weekdays) == 1 else [at[0]]
        best_posts, best = max(
            _windows(heatmap, list(pool)), key=lambda w: (w[0], -w[1][0], -w[1][1])
        )
        per_hour = best_posts / WINDOW
        quiet = heatmap.posts[at[0]][at[1]]
        if per_hour == 0 or quiet > QUIET * per_hour:
            continue
        slow = _waits(heatmap, at[0], range(at[1], at[1] + 1))
        quick = _waits(heatmap, best[0], range(best[1], best[1] + WINDOW))
        faster = None
        questions = 0
        if len(slow) >= MIN_QUESTIONS and len(quick) >= MIN_QUESTIONS:
            slow_median, quick_median = median(slow), median(quick)
            if slow_median and quick_median and slow_median / quick_median >= FASTER:
                faster = slow_median / quick_median
                questions = len(slow) + len(quick)
        suggestion = Suggestion(
            scheduled=item.scheduled,
            at=at,
            best=best,
            posts_at=quiet / weeks,
            posts_best=per_hour / weeks,
            faster=faster,
            weeks=weeks,
            posts=heatmap.total_posts,
            questions=questions,
        )
        found.append((per_hour - quiet, suggestion))
    found.sort(key=lambda pair: (-pair[0], pair[1].scheduled.name))
    return [suggestion for _gap, suggestion in found]
