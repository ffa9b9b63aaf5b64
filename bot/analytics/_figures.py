"""Figures and the arithmetic behind them: shares, medians, concentration (Gini)."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

log = logging.getLogger(__name__)

Unit = Literal["count", "share", "hours", "average", "ratio"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Figure:
    """One named number of a report; `key` is its label's prompt key.

    `value` is None when the figure is undefined for the period (nothing to
    measure, e.g. a median over no question). `variables` fill the label;
    `subject` tells apart figures sharing a key (one per ritual, say), and with
    the key matches a figure with its counterpart in the previous period.
    `names` are display names of (some of) the members counted, for the eyes of
    moderators and operators only: the digest posted in a channel leaves them out.
    `basis` says what the value was measured over when that is not the report's
    period (the two months whose levels are compared, say): a previous value on
    the same basis is the very same measure, so it shows no change.
    """

    key: str
    value: float | None
    unit: Unit = "count"
    previous: float | None = None
    variables: Mapping[str, object] = field(default_factory=dict)
    subject: str | None = None
    names: tuple[str, ...] = ()
    basis: str | None = None

    @property
    def change(self) -> float | None:
        """Return value minus previous, when both are known."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    def compared(self, previous: Figure | None) -> Figure:
        """Return this figure with the value of the same figure in the previous period.

        None is kept when the previous figure was measured on the same basis.
        """
        earlier = None if previous is None else previous.value
        if previous is not None and self.basis is not None and previous.basis == self.basis:
            earlier = None
        return Figure(
            key=self.key,
            value=self.value,
            unit=self.unit,
            previous=earlier,
            variables=self.variables,
            subject=self.subject,
            names=self.names,
            basis=self.basis,
        )

    @property
    def identity(self) -> tuple[str, str | None]:
        """Return what matches a figure with its counterpart in another period."""
        return self.key, self.subject


def share(part: int, whole: int) -> float | None:
    """Return part / whole, or None when whole is zero."""
    return part / whole if whole else None


def median(values: Sequence[float]) -> float | None:
    """Return the median of `values`, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def top_share(counts: Sequence[int], fraction: float = 0.1) -> float | None:
    """Return the share of the total held by the top `fraction` of counts (at least one)."""
    total = sum(counts)
    if not counts or total == 0:
        return None
    top = max(1, math.ceil(len(counts) * fraction))
    return sum(sorted(counts, reverse=True)[:top]) / total


def gini(counts: Sequence[int]) -> float | None:
    """Return the Gini coefficient of `counts`: 0 when all equal, near 1 when one holds all."""
    total = sum(counts)
    n = len(counts)
    if n == 0 or total == 0:
        return None
    weighted = sum(rank * value for rank, value in enumerate(sorted(counts), start=1))
    return (2 * weighted) / (n * total) - (n + 1) / n
