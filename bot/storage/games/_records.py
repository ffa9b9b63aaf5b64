"""What the games repository returns and takes: frozen snapshots, detached from rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class RoundRecord:
    """A trivia round as stored."""

    id: int
    community_id: int
    channel_id: str
    category: str | None
    state: str
    started_by: str | None
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class QuestionRecord:
    """A question of a round as stored, with its community for routing."""

    id: int
    round_id: int
    community_id: int
    channel_id: str
    position: int
    item_id: str
    content: dict[str, Any]
    state: str
    opened_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class AnswerRecord:
    """An answer as stored."""

    member_id: str
    display_name: str
    answer: str
    correct: bool
    answered_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class PollRecord:
    """A poll or a two truths and a lie as stored."""

    id: int
    community_id: int
    kind: str
    channel_id: str
    question: str | None
    options: tuple[str, ...]
    item_id: str | None
    author_id: str | None
    author_name: str | None
    lie: int | None
    state: str
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class VoteRecord:
    """A vote as stored."""

    member_id: str
    display_name: str
    option: int
    voted_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ScoreLine:
    """One member's points over a season (or all time), for a leaderboard."""

    member_id: str
    display_name: str
    points: int


@dataclass(frozen=True, kw_only=True, slots=True)
class NewScore:
    """Points to record: who, how many, why, and what earned them."""

    member_id: str
    display_name: str
    game: str
    source: str
    reason: str
    points: int
