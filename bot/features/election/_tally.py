"""Counting ballots: single choice and instant-runoff, pure functions with no I/O.

A ballot is a ranking of candidate ids (a single-choice ballot ranks one). Neither
method ever picks among tied candidates: a tie comes back as several winners, and
the election's tie policy decides what happens next.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class Tally:
    """The outcome of a count: winners (several when tied), each round's counts, turnout."""

    winners: tuple[str, ...]
    rounds: tuple[dict[str, int], ...]
    ballots: int

    @property
    def tied(self) -> bool:
        """Return whether several candidates share the win."""
        return len(self.winners) > 1

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready form, as the election row stores it."""
        return {
            "winners": list(self.winners),
            "rounds": [dict(r) for r in self.rounds],
            "ballots": self.ballots,
        }


def count(method: str, ballots: Sequence[Sequence[str]], candidates: Sequence[str]) -> Tally:
    """Count with `method` (`single` or `ranked`)."""
    if method == "single":
        return count_single(ballots, candidates)
    if method == "ranked":
        return count_ranked(ballots, candidates)
    raise ValueError(f"unknown counting method {method!r}")


def count_single(ballots: Sequence[Sequence[str]], candidates: Sequence[str]) -> Tally:
    """Count each ballot's first choice; the most votes win, all of them when tied."""
    counts = _first_choices(ballots, candidates)
    top = max(counts.values(), default=0)
    winners = tuple(c for c in candidates if top > 0 and counts[c] == top)
    return Tally(winners=winners, rounds=(counts,), ballots=len(ballots))


def count_ranked(ballots: Sequence[Sequence[str]], candidates: Sequence[str]) -> Tally:
    """Instant-runoff: drop the weakest candidate until one holds a majority of live ballots.

    Ballots whose ranked candidates are all eliminated are exhausted and no longer
    count. Candidates tied for last are told apart by the latest earlier round that
    separates them; if none does, they are eliminated together. When every remaining
    candidate has the same count, they all share the win.
    """
    remaining = list(dict.fromkeys(candidates))
    rounds: list[dict[str, int]] = []
    while remaining:
        counts = _first_choices(ballots, remaining)
        rounds.append(counts)
        live = sum(counts.values())
        if live == 0:
            return Tally(winners=(), rounds=tuple(rounds), ballots=len(ballots))
        top, low = max(counts.values()), min(counts.values())
        if top * 2 > live:
            leader = next(c for c in remaining if counts[c] == top)
            return Tally(winners=(leader,), rounds=tuple(rounds), ballots=len(ballots))
        if top == low:
            return Tally(winners=tuple(remaining), rounds=tuple(rounds), ballots=len(ballots))
        weakest = [c for c in remaining if counts[c] == low]
        for earlier in reversed(rounds[:-1]):
            if len(weakest) == 1:
                break
            lowest = min(earlier[c] for c in weakest)
            weakest = [c for c in weakest if earlier[c] == lowest]
        remaining = [c for c in remaining if c not in weakest]
    return Tally(winners=(), rounds=tuple(rounds), ballots=len(ballots))


def _first_choices(ballots: Sequence[Sequence[str]], candidates: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(candidates, 0)
    for ballot in ballots:
        first = next((choice for choice in ballot if choice in counts), None)
        if first is not None:
            counts[first] += 1
    return counts
