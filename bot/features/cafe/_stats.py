"""Did cafés create links? Rounds, groups, meeting and repeat rates, new connections.

A pair is a **new connection** when its two members had not replied or reacted to
each other in the 90 days before their café, and one of them does, in the
interaction log, within 30 days after it: measured, never asked. Pairs whose 30
days have not ended and who have not connected yet are not counted either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

from bot.storage import UnitOfWork
from bot.storage.cafe import CafeGroup, Cafes

CONNECTION_WINDOW = timedelta(days=30)
BEFORE_WINDOW = timedelta(days=90)
"""How far back "had no interaction before the café" looks (the log's retention bounds it)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CafeStats:
    """A community's café figures over some rounds."""

    rounds: int
    groups: int
    checked: int
    """Groups asked whether they met."""
    met: int
    """Of those, groups where someone answered "met"."""
    repeats: int
    """Groups seating a pair that had met at an earlier café."""
    strangers: int
    """Pairs with no interaction before their café, whose 30 days ended or who connected."""
    connected: int
    """Of those, pairs who replied or reacted to each other within 30 days after."""


async def cafe_stats(
    uow: UnitOfWork,
    community_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> CafeStats:
    """Return the figures of the rounds planned in [since, until) (every round by default)."""
    cafes = uow.repository(Cafes)
    now = uow.clock.now()
    rounds = [
        r
        for r in await cafes.rounds(community_id)
        if (since is None or r.planned_at >= since) and (until is None or r.planned_at < until)
    ]
    every = await cafes.groups(community_id)
    chosen = {r.id for r in rounds}
    checked_rounds = {r.id for r in rounds if r.checkin_sent_at is not None}
    groups = [g for g in every if g.round_id in chosen]
    repeats = _repeats(every, chosen)
    seated = {m for g in groups for m in g.members if not m.startswith("erased:")}
    first = min((g.planned_at for g in groups), default=now)
    responses = (
        await cafes.interaction_pairs(community_id, first - BEFORE_WINDOW, members=seated)
        if seated
        else []
    )
    times: dict[frozenset[str], list[datetime]] = {}
    for responder, author, at in responses:
        if author in seated:
            times.setdefault(frozenset((responder, author)), []).append(at)
    strangers = connected = 0
    for group in groups:
        for a, b in combinations(group.members, 2):
            if a.startswith("erased:") or b.startswith("erased:"):
                continue
            seen = times.get(frozenset((a, b)), [])
            start = group.planned_at
            if any(start - BEFORE_WINDOW <= t < start for t in seen):
                continue
            linked = any(start <= t < start + CONNECTION_WINDOW for t in seen)
            if linked or now >= start + CONNECTION_WINDOW:
                strangers += 1
                connected += linked
    checked = [g for g in groups if g.round_id in checked_rounds]
    return CafeStats(
        rounds=len(rounds),
        groups=len(groups),
        checked=len(checked),
        met=sum(1 for g in checked if "met" in g.answers),
        repeats=repeats,
        strangers=strangers,
        connected=connected,
    )


def percent(part: int, whole: int) -> int | None:
    """Return part of whole in whole percents, or None when whole is zero."""
    return round(100 * part / whole) if whole else None


def _repeats(groups: Sequence[CafeGroup], chosen: set[int]) -> int:
    """Count the chosen groups seating a pair already seated together in an earlier round."""
    met: dict[frozenset[str], int] = {}
    order: dict[int, int] = {}
    for group in groups:
        order.setdefault(group.round_id, len(order))
    count = 0
    for group in groups:
        pairs = [frozenset(p) for p in combinations(group.members, 2)]
        position = order[group.round_id]
        if group.round_id in chosen and any(met.get(p, position) < position for p in pairs):
            count += 1
        for pair in pairs:
            met.setdefault(pair, position)
    return count
