"""Who meets whom in a round: pure, deterministic for a seed, fast for thousands.

Members are shuffled by the seed, then those with the most forbidden partners
go first (they are the hardest to place). Each group is filled greedily from
the members still free, looking at the first `window` allowed candidates and
taking the one with the fewest past contacts with the group, then the most
shared interests. A pair is never seated together when it is forbidden (a
"never pair me with", or a pair that met within the last rounds). Members
left over (an odd one out, or a group that could not fill) join a group one
each, making it one larger, or sit this round out when no group may take them.

A round of n members costs about n x (window + forbidden partners) steps.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

WINDOW = 64
"""How many allowed candidates are compared for each seat."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Pool:
    """Who may be paired this round, and what is known between them."""

    members: Collection[str]
    forbidden: Collection[frozenset[str]] = ()
    """Pairs that must not meet: exclusions and recent repeats."""
    contacts: Collection[frozenset[str]] = ()
    """Pairs who replied or reacted to each other lately: paired last."""
    interests: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Group:
    """Members who meet this round, and the interest they share (if one was used)."""

    members: tuple[str, ...]
    interest: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """A round's groups, and who sits it out because no group may take them."""

    groups: tuple[Group, ...]
    left_out: tuple[str, ...]


def plan_round(
    pool: Pool,
    *,
    size: int,
    seed: int,
    prefer_interests: bool = True,
    window: int = WINDOW,
) -> Plan:
    """Return the groups of a round; the same pool and seed always give the same plan."""
    if size < 2:
        raise ValueError(f"a group has at least 2 members, got size={size}")
    forbidden = _neighbours(pool.forbidden)
    contacts = _neighbours(pool.contacts)
    interests = pool.interests if prefer_interests else {}
    order = sorted(set(pool.members))
    random.Random(seed).shuffle(order)  # noqa: S311 (a seeded shuffle, not a secret)
    rank = {member: i for i, member in enumerate(order)}
    order.sort(key=lambda m: (-len(forbidden.get(m, ())), rank[m]))
    free = dict.fromkeys(order)
    groups: list[list[str]] = []
    leftovers: list[str] = []
    for member in order:
        if member not in free:
            continue
        del free[member]
        group = [member]
        while len(group) < size:
            chosen = _best(group, free, forbidden, contacts, interests, window)
            if chosen is None:
                break
            del free[chosen]
            group.append(chosen)
        if len(group) == size:
            groups.append(group)
        else:
            leftovers.extend(group)
    left_out: list[str] = []
    for member in leftovers:
        home = _home(member, groups, size, forbidden, contacts)
        if home is None:
            left_out.append(member)
        else:
            home.append(member)
    return Plan(
        groups=tuple(
            Group(members=tuple(group), interest=_shared(group, interests)) for group in groups
        ),
        left_out=tuple(sorted(left_out)),
    )


def _neighbours(pairs: Collection[frozenset[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for pair in pairs:
        if len(pair) != 2:
            continue
        a, b = tuple(pair)
        found.setdefault(a, set()).add(b)
        found.setdefault(b, set()).add(a)
    return found


def _best(
    group: Sequence[str],
    free: Mapping[str, None],
    forbidden: Mapping[str, set[str]],
    contacts: Mapping[str, set[str]],
    interests: Mapping[str, frozenset[str]],
    window: int,
) -> str | None:
    barred: set[str] = set()
    for member in group:
        barred |= forbidden.get(member, set())
    best: tuple[int, int, int] | None = None
    chosen: str | None = None
    seen = 0
    for position, candidate in enumerate(free):
        if candidate in barred:
            continue
        known = sum(1 for member in group if candidate in contacts.get(member, ()))
        shared = _shared_count(group, candidate, interests)
        cost = (known, -shared, position)
        if best is None or cost < best:
            best, chosen = cost, candidate
            if known == 0 and (shared > 0 or not interests):
                break
        seen += 1
        if seen >= window:
            break
    return chosen


def _shared_count(
    group: Sequence[str], candidate: str, interests: Mapping[str, frozenset[str]]
) -> int:
    mine = interests.get(candidate)
    if not mine:
        return 0
    common = set(mine)
    for member in group:
        common &= interests.get(member, frozenset())
    return len(common)


def _home(
    member: str,
    groups: Sequence[list[str]],
    size: int,
    forbidden: Mapping[str, set[str]],
    contacts: Mapping[str, set[str]],
) -> list[str] | None:
    barred = forbidden.get(member, set())
    known = contacts.get(member, set())
    best: tuple[int, int, int] | None = None
    home: list[str] | None = None
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if any(other in barred for other in group):
            continue
        cost = (len(group) - size, sum(1 for other in group if other in known), -index)
        if best is None or cost < best:
            best, home = cost, group
            if cost[0] == 0 and cost[1] == 0:
                break
    return home


def _shared(group: Sequence[str], interests: Mapping[str, frozenset[str]]) -> str | None:
    common: set[str] | None = None
    for member in group:
        topics = interests.get(member, frozenset())
        common = set(topics) if common is None else common & topics
    return min(common) if common else None
