"""Game content as the games use it: trivia questions, ready-made polls, per community."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DIFFICULTIES = ("easy", "medium", "hard")
POLL_KINDS = ("this_or_that", "would_you_rather")


@dataclass(frozen=True, kw_only=True, slots=True)
class TriviaQuestion:
    """A trivia question: multiple choice (`choices` and `answer`) or free (`accepted`)."""

    id: str
    category: str
    difficulty: str
    question: str
    choices: tuple[str, ...] = ()
    answer: str | None = None
    accepted: tuple[str, ...] = ()
    explanation: str | None = None

    @property
    def is_choice(self) -> bool:
        """Return whether members answer with buttons."""
        return bool(self.choices)

    def snapshot(self) -> dict[str, Any]:
        """Return what a round stores, so a later content edit cannot change its scoring."""
        return {
            "category": self.category,
            "difficulty": self.difficulty,
            "question": self.question,
            "choices": list(self.choices),
            "answer": self.answer,
            "accepted": list(self.accepted),
            "explanation": self.explanation,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class PollItem:
    """A ready-made poll."""

    id: str
    kind: str
    question: str
    options: tuple[str, ...]


@dataclass(kw_only=True, slots=True)
class GameContent:
    """The trivia and polls one community plays with."""

    trivia: dict[str, TriviaQuestion] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    polls: dict[str, PollItem] = field(default_factory=dict)
    poll_kinds: dict[str, str] = field(default_factory=dict)

    def questions(self, category: str | None = None) -> list[TriviaQuestion]:
        """Return the questions of a category (every question when None), by id."""
        return [
            q for _, q in sorted(self.trivia.items()) if category is None or q.category == category
        ]

    def poll_items(self, kind: str | None = None) -> list[PollItem]:
        """Return the polls of a kind (every poll when None), by id."""
        return [p for _, p in sorted(self.polls.items()) if kind is None or p.kind == kind]
