"""Asking in a terminal, with the standard library only: numbered choices, defaults shown.

Answers are read line by line from any text stream, so a script (or a test) can
pipe them in. The end of the input stops the dialogue (`Aborted`); Ctrl-C raises
`KeyboardInterrupt` as usual. Neither leaves anything written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from bot.prompts import Catalog

Check = Callable[[str], "Problem | None"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an answer was refused: a key of `init.errors` and its variables."""

    key: str
    variables: dict[str, object] = field(default_factory=dict)


class Aborted(Exception):
    """The input ended before every question was answered."""


class Dialogue:
    """Questions and answers in one language, through two text streams."""

    def __init__(self, catalog: Catalog, answers: TextIO, out: TextIO) -> None:
        self.catalog = catalog
        self._answers = answers
        self._out = out

    def say(self, key: str, **variables: object) -> None:
        """Print the prompt `init.<key>`."""
        print(self.catalog.text(f"init.{key}", **variables), file=self._out)

    def blank(self) -> None:
        """Print an empty line."""
        self._out.write("\n")

    def problem(self, problem: Problem) -> None:
        """Print why an answer was refused."""
        self.say(f"errors.{problem.key}", **problem.variables)

    def choose(self, question: str, options: Sequence[str], default: str) -> str:
        """Ask for one of `options` by number (or by its name); return the option."""
        self.blank()
        self.say(f"questions.{question}")
        for number, option in enumerate(options, start=1):
            label = self.catalog.text(f"init.choices.{question}.{option}")
            print(f"  {number}) {label}", file=self._out)
        position = options.index(default) + 1
        while True:
            reply = self._read(
                self.catalog.text("init.ask.choose", count=len(options), default=position)
            )
            if not reply:
                return default
            if reply.isdigit() and 1 <= int(reply) <= len(options):
                return options[int(reply) - 1]
            if reply.lower() in options:
                return reply.lower()
            self.problem(Problem("choice", {"count": len(options)}))

    def number(self, question: str, default: int, minimum: int, maximum: int) -> int:
        """Ask for a whole number from `minimum` to `maximum`."""
        self.blank()
        self.say(f"questions.{question}")
        while True:
            reply = self._read(self.catalog.text("init.ask.default", value=default))
            if not reply:
                return default
            cleaned = reply.replace(" ", "").replace("\u00a0", "").replace("_", "")
            if cleaned.isdigit() and minimum <= int(cleaned) <= maximum:
                return int(cleaned)
            self.problem(Problem("number", {"minimum": minimum, "maximum": maximum}))

    def text(
        self,
        question: str,
        *,
        default: str | None,
        check: Check,
        optional: bool = False,
        **variables: object,
    ) -> str:
        """Ask for a line of text; empty means `default` (or nothing, when `optional`)."""
        self.blank()
        self.say(f"questions.{question}", **variables)
        if default:
            hint = self.catalog.text("init.ask.default", value=default)
        elif optional:
            hint = self.catalog.text("init.ask.optional")
        else:
            hint = self.catalog.text("init.ask.required")
        while True:
            reply = self._read(hint) or (default or "")
            if not reply and optional:
                return ""
            if not reply:
                self.problem(Problem("required"))
                continue
            problem = check(reply)
            if problem is None:
                return reply
            self.problem(problem)

    def confirm(self, question: str, **variables: object) -> bool:
        """Ask a yes-or-no question whose default is no."""
        self.blank()
        self.say(f"questions.{question}", **variables)
        yes = {word.strip() for word in self.catalog.text("init.ask.yes_words").split(",")}
        no = {word.strip() for word in self.catalog.text("init.ask.no_words").split(",")}
        while True:
            reply = self._read(self.catalog.text("init.ask.yes_no")).lower()
            if reply in yes:
                return True
            if not reply or reply in no:
                return False
            self.problem(Problem("yes_no"))

    def _read(self, hint: str) -> str:
        self._out.write(f"{hint} ")
        self._out.flush()
        line = self._answers.readline()
        if not line:
            self._out.write("\n")
            raise Aborted
        return line.strip()
