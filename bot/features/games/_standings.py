"""Ranking score lines for posts: equal points share a rank (1, 1, 3)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.storage import ScoreLine

log = logging.getLogger(__name__)


def ranked(lines: Sequence[ScoreLine]) -> list[dict[str, object]]:
    """Return template rows `{rank, name, points}`; ties share the better rank."""
    rows: list[dict[str, object]] = []
    rank = 0
    previous: int | None = None
    for position, line in enumerate(lines, start=1):
        if line.points != previous:
            rank, previous = position, line.points
        rows.append({"rank": rank, "name": line.display_name, "points": line.points})
    return rows


def bar(count: int, total: int, width: int = 10) -> str:
    """Return a text bar of `width` blocks filled in proportion to count/total."""
    filled = round(width * count / total) if total else 0
    return "█" * filled + "░" * (width - filled)
