"""When members are around: posts and reactions by weekday and hour, in local time.

The log is counted once per complete UTC hour into `activity_hourly` (posts and
reactions per channel, bots left out): a report first adds the hours it has not
seen yet, then reads 90 days as about 2,000 rows instead of millions of log rows.
Hours are turned into the community's weekday and hour in Python, so daylight
saving time moves each hour to the right local slot. Excluded members (moderators,
say) are taken back out from the log through its per-member index.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._period import Period
from bot.analytics._questions import questions
from bot.analytics._scope import POST_KINDS, Scope, human
from bot.storage import UnitOfWork
from bot.storage._base import insert_for
from bot.storage.analytics import ActivityHourlyRow
from bot.storage.models import InteractionLogRow

log = logging.getLogger(__name__)

_log = InteractionLogRow.__table__.c
_hourly = ActivityHourlyRow.__table__.c
HOUR = 3600
WEEKDAYS = 7
HOURS = 24


def hour_of(moment: datetime) -> int:
    """Return the whole UTC hours from the epoch to `moment` (an aware datetime)."""
    return int(moment.timestamp()) // HOUR


def _log_hour(dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return cast(func.strftime("%s", _log.occurred_at), BigInteger) // HOUR
    return cast(func.floor(func.extract("epoch", _log.occurred_at) / HOUR), BigInteger)


def _counts() -> tuple[ColumnElement[int], ColumnElement[int]]:
    posts = func.sum(case((_log.kind.in_(POST_KINDS), 1), else_=0))
    reactions = func.sum(case((_log.kind == "reaction", 1), else_=0))
    return posts, reactions


async def settle_hours(conn: AsyncConnection, community_id: int, until: datetime) -> None:
    """Count the log's complete hours before `until` that `activity_hourly` lacks.

    The last hour already counted is counted again (events of it may have been
    written after), and every hour after it up to the last complete one.
    """
    last = (
        await conn.execute(
            select(func.max(_hourly.hour)).where(_hourly.community_id == community_id)
        )
    ).scalar_one_or_none()
    end = hour_of(until)
    if last is not None and last >= end:
        return
    hour = _log_hour(conn.dialect.name)
    posts, reactions = _counts()
    source = select(
        _log.community_id,
        hour.label("log_hour"),
        func.coalesce(_log.channel_id, "").label("log_channel"),
        posts,
        reactions,
    ).where(
        _log.community_id == community_id,
        _log.occurred_at < datetime.fromtimestamp(end * HOUR, UTC),
        _log.kind.in_((*POST_KINDS, "reaction")),
        human(InteractionLogRow.__table__),
    )
    if last is not None:
        source = source.where(_log.occurred_at >= datetime.fromtimestamp(last * HOUR, UTC))
    # Grouped by the output names: the same expressions again would be new parameters.
    source = source.group_by(
        _log.community_id, literal_column("log_hour"), literal_column("log_channel")
    )
    insert = insert_for(conn.dialect.name, ActivityHourlyRow.__table__).from_select(
        ["community_id", "hour", "channel_id", "posts", "reactions"], source
    )
    stmt = insert.on_conflict_do_update(
        index_elements=[_hourly.community_id, _hourly.hour, _hourly.channel_id],
        set_={"posts": insert.excluded.posts, "reactions": insert.excluded.reactions},
    )
    await conn.execute(stmt)


@dataclass(frozen=True, kw_only=True, slots=True)
class Heatmap:
    """Posts and reactions per local weekday (0 = Monday) and hour, and answer waits.

    `waits` holds, per (weekday, hour), how many hours each question asked then
    waited for its first answer. `days` is how many days of activity were counted.
    """

    timezone: str
    days: int
    posts: tuple[tuple[int, ...], ...]
    reactions: tuple[tuple[int, ...], ...]
    waits: dict[tuple[int, int], tuple[float, ...]] = field(default_factory=dict)

    @property
    def total_posts(self) -> int:
        """Return every post counted."""
        return sum(sum(day) for day in self.posts)

    @property
    def weeks(self) -> int:
        """Return the whole weeks counted."""
        return self.days // 7


async def heatmap(
    conn: AsyncConnection,
    scope: Scope,
    period: Period,
    as_of: datetime,
    waits: Sequence[tuple[int, float]] = (),
) -> Heatmap:
    """Return the period's posts and reactions by local weekday and hour.

    Only hours `settle_hours` counted are read: the report settles them up to
    `as_of` first. `waits` are (hour asked, in whole hours since the epoch, and
    hours waited) of the period's answered questions.
    """
    zone = ZoneInfo(scope.timezone)
    since, until = hour_of(period.since), min(hour_of(period.until), hour_of(as_of))
    stmt = select(_hourly.hour, func.sum(_hourly.posts), func.sum(_hourly.reactions)).where(
        _hourly.community_id == scope.community_id,
        _hourly.hour >= since,
        _hourly.hour < until,
    )
    if scope.channel_id is not None:
        stmt = stmt.where(_hourly.channel_id == scope.channel_id)
    by_hour: dict[int, list[int]] = {
        hour: [int(posts), int(reactions)]
        for hour, posts, reactions in await conn.execute(stmt.group_by(_hourly.hour))
    }
    if scope.exclude:
        for hour, posts, reactions in await conn.execute(_excluded(conn, scope, since, until)):
            counts = by_hour.setdefault(int(hour), [0, 0])
            counts[0] -= int(posts)
            counts[1] -= int(reactions)
    posts_grid = [[0] * HOURS for _ in range(WEEKDAYS)]
    reactions_grid = [[0] * HOURS for _ in range(WEEKDAYS)]
    for hour, (posts, reactions) in by_hour.items():
        local = datetime.fromtimestamp(hour * HOUR, UTC).astimezone(zone)
        posts_grid[local.weekday()][local.hour] += posts
        reactions_grid[local.weekday()][local.hour] += reactions
    slots: dict[tuple[int, int], list[float]] = {}
    local_slot: dict[int, tuple[int, int]] = {}
    for hour, waited in waits:
        slot = local_slot.get(hour)
        if slot is None:
            local = datetime.fromtimestamp(hour * HOUR, UTC).astimezone(zone)
            slot = local_slot[hour] = (local.weekday(), local.hour)
        slots.setdefault(slot, []).append(waited)
    return Heatmap(
        timezone=scope.timezone,
        days=max(0, (until - since) // HOURS),
        posts=tuple(tuple(day) for day in posts_grid),
        reactions=tuple(tuple(day) for day in reactions_grid),
        waits={slot: tuple(values) for slot, values in slots.items()},
    )


def _excluded(conn: AsyncConnection, scope: Scope, since: int, until: int) -> Select[int, int, int]:
    hour = _log_hour(conn.dialect.name)
    posts, reactions = _counts()
    stmt = select(hour.label("log_hour"), posts, reactions).where(
        _log.community_id == scope.community_id,
        _log.member_id.in_(sorted(scope.exclude)),
        _log.occurred_at >= datetime.fromtimestamp(since * HOUR, UTC),
        _log.occurred_at < datetime.fromtimestamp(until * HOUR, UTC),
        _log.kind.in_((*POST_KINDS, "reaction")),
        human(InteractionLogRow.__table__),
    )
    if scope.channel_id is not None:
        stmt = stmt.where(_log.channel_id == scope.channel_id)
    return stmt.group_by(literal_column("log_hour"))


async def counted_heatmap(
    uow: UnitOfWork, scope: Scope, period: Period, as_of: datetime
) -> Heatmap:
    """Return the heatmap from the hours reports already counted, writing nothing.

    Questions' waits are looked up where no report stored them.
    """
    asked = await questions(uow, scope, period.since, period.until)
    waits = [
        (hour_of(q.asked_at), w.total_seconds() / 3600)
        for q in asked
        if (w := q.waited()) is not None
    ]
    return await heatmap(uow.connection, scope, period, as_of, waits)
