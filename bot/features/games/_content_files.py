"""Reading one trivia or poll file, with problems at the line of the field."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot._toml_lines import KeyPath, Locator, syntax_error_line
from bot.features.games._answers import normalize
from bot.features.games._library import (
    DIFFICULTIES,
    POLL_KINDS,
    GameContent,
    PollItem,
    TriviaQuestion,
)
from bot.prompts import Problem

log = logging.getLogger(__name__)

_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_TRIVIA_FIELDS = frozenset({"category", "title", "questions"})
_QUESTION_FIELDS = frozenset(
    {"id", "difficulty", "question", "choices", "answer", "accepted", "explanation"}
)
_POLL_FILE_FIELDS = frozenset({"kind", "title", "polls"})
_POLL_FIELDS = frozenset({"id", "question", "options"})


@dataclass(kw_only=True, slots=True)
class Ids:
    """Where each id was first seen, to name both places of a duplicate."""

    seen: dict[str, tuple[Path, int | None]] = field(default_factory=dict)


def _parse(path: Path, problems: list[Problem]) -> tuple[dict[str, Any], Locator] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(file=path, message=f"cannot read file: {error}"))
        return None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = syntax_error_line(error, text)
        problems.append(Problem(file=path, line=line, message=f"TOML syntax error: {error}"))
        return None
    return document, Locator(text)


@dataclass(kw_only=True, slots=True)
class _Reader:
    """Checks one content file, reporting problems at the line of the field."""

    path: Path
    locator: Locator
    problems: list[Problem]

    def problem(self, where: KeyPath, message: str) -> None:
        key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in where)
        self.problems.append(
            Problem(
                file=self.path,
                line=self.locator.line_of(where),
                key=key.lstrip(".") or None,
                message=message,
            )
        )

    def text(self, data: Mapping[str, Any], where: KeyPath, name: str) -> str | None:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            self.problem((*where, name), f"`{name}` must be a non-empty string")
            return None
        return value.strip()

    def texts(
        self, data: Mapping[str, Any], where: KeyPath, name: str, low: int, high: int
    ) -> tuple[str, ...] | None:
        value = data.get(name)
        if (
            not isinstance(value, list)
            or not all(isinstance(v, str) and v.strip() for v in value)
            or not low <= len(value) <= high
        ):
            self.problem(
                (*where, name), f"`{name}` must be a list of {low} to {high} non-empty strings"
            )
            return None
        items = tuple(v.strip() for v in value)
        if len({normalize(v) for v in items}) != len(items):
            self.problem((*where, name), f"`{name}` lists the same text twice")
            return None
        return items

    def unknown(self, data: Mapping[str, Any], where: KeyPath, allowed: frozenset[str]) -> None:
        for name in sorted(set(data) - allowed):
            self.problem((*where, name), f"unknown field {name!r}")

    def header(self, document: Mapping[str, Any], name: str, allowed: Iterable[str]) -> str | None:
        value = document.get(name)
        stem = self.path.stem
        if value != stem:
            self.problem((name,), f"`{name}` must be {stem!r}, the file name without .toml")
            return None
        if allowed and stem not in allowed:
            self.problem((name,), f"unknown {name} {stem!r} (known: {', '.join(allowed)})")
            return None
        return stem

    def item_id(self, data: Mapping[str, Any], where: KeyPath, ids: Ids) -> str | None:
        value = data.get("id")
        if not isinstance(value, str) or not _SLUG.match(value) or len(value) > 64:
            self.problem((*where, "id"), "`id` must be a lowercase slug such as 'science-001'")
            return None
        if value in ids.seen:
            file, line = ids.seen[value]
            first = f"{file}:{line}" if line is not None else str(file)
            self.problem((*where, "id"), f"duplicate id {value!r} (first in {first})")
            return None
        ids.seen[value] = (self.path, self.locator.line_of(where))
        return value


def read_trivia(path: Path, content: GameContent, ids: Ids, problems: list[Problem]) -> None:
    """Add a trivia file's valid questions to `content`; report every problem found."""
    parsed = _parse(path, problems)
    if parsed is None:
        return
    document, locator = parsed
    reader = _Reader(path=path, locator=locator, problems=problems)
    reader.unknown(document, (), _TRIVIA_FIELDS)
    category = reader.header(document, "category", ())
    if category is not None and not _SLUG.match(category):
        reader.problem(("category",), "`category` must be a lowercase slug")
        category = None
    title = reader.text(document, (), "title")
    questions = document.get("questions")
    if not isinstance(questions, list) or not questions:
        reader.problem(("questions",), "add at least one [[questions]] table")
        return
    found = [
        _question(reader, ("questions", i), raw, category or "", ids)
        for i, raw in enumerate(questions)
    ]
    if category is None or title is None:
        return
    content.categories[category] = title
    for question in found:
        if question is not None:
            content.trivia[question.id] = question


def _question(
    reader: _Reader, where: KeyPath, raw: object, category: str, ids: Ids
) -> TriviaQuestion | None:
    if not isinstance(raw, dict):
        reader.problem(where, "a question must be a table")
        return None
    reader.unknown(raw, where, _QUESTION_FIELDS)
    item_id = reader.item_id(raw, where, ids)
    difficulty = raw.get("difficulty")
    if difficulty not in DIFFICULTIES:
        reader.problem(
            (*where, "difficulty"),
            f"`difficulty` must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}",
        )
    text = reader.text(raw, where, "question")
    explanation = raw.get("explanation")
    if explanation is not None and (not isinstance(explanation, str) or not explanation.strip()):
        reader.problem((*where, "explanation"), "`explanation` must be a non-empty string")
    has_choices, has_accepted = "choices" in raw, "accepted" in raw
    if has_choices == has_accepted:
        reader.problem(
            where,
            "give either `choices` and `answer` (multiple choice) or `accepted` (free answer)",
        )
        return None
    choices: tuple[str, ...] = ()
    answer: str | None = None
    accepted: tuple[str, ...] = ()
    if has_choices:
        found = reader.texts(raw, where, "choices", 2, 5)
        answer = reader.text(raw, where, "answer")
        if found is None or answer is None:
            return None
        if answer not in found:
            reader.problem((*where, "answer"), f"`answer` {answer!r} is not one of the choices")
            return None
        choices = found
    else:
        if "answer" in raw:
            reader.problem(
                (*where, "answer"), "a free-answer question lists `accepted`, no `answer`"
            )
        found = reader.texts(raw, where, "accepted", 1, 20)
        if found is None or not all(normalize(v) for v in found):
            if found is not None:
                reader.problem((*where, "accepted"), "an accepted answer is only punctuation")
            return None
        accepted = found
    if item_id is None or text is None or difficulty not in DIFFICULTIES:
        return None
    return TriviaQuestion(
        id=item_id,
        category=category,
        difficulty=str(difficulty),
        question=text,
        choices=choices,
        answer=answer,
        accepted=accepted,
        explanation=explanation.strip() if isinstance(explanation, str) else None,
    )


def read_polls(path: Path, content: GameContent, ids: Ids, problems: list[Problem]) -> None:
    """Add a poll file's valid polls to `content`; report every problem found."""
    parsed = _parse(path, problems)
    if parsed is None:
        return
    document, locator = parsed
    reader = _Reader(path=path, locator=locator, problems=problems)
    reader.unknown(document, (), _POLL_FILE_FIELDS)
    kind = reader.header(document, "kind", POLL_KINDS)
    title = reader.text(document, (), "title")
    polls = document.get("polls")
    if not isinstance(polls, list) or not polls:
        reader.problem(("polls",), "add at least one [[polls]] table")
        return
    if kind is not None and title is not None:
        content.poll_kinds[kind] = title
    for index, raw in enumerate(polls):
        where: KeyPath = ("polls", index)
        if not isinstance(raw, dict):
            reader.problem(where, "a poll must be a table")
            continue
        reader.unknown(raw, where, _POLL_FIELDS)
        item_id = reader.item_id(raw, where, ids)
        question = reader.text(raw, where, "question")
        options = reader.texts(raw, where, "options", 2, 5)
        complete = kind is not None and title is not None and item_id is not None
        if complete and question is not None and options is not None:
            assert kind is not None and item_id is not None
            content.polls[item_id] = PollItem(
                id=item_id, kind=kind, question=question, options=options
            )
