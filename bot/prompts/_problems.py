"""What can go wrong with prompts: load-time problems and render-time errors."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def file_and_line(file: Path, line: int | None) -> str:
    """Spell a place in the prompt files as `file:line`, or `file` when the line is unknown."""
    return str(file) if line is None else f"{file}:{line}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """One thing wrong in the prompt files: where (file, key, line) and what."""

    file: Path
    message: str
    key: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = file_and_line(self.file, self.line)
        if self.key is not None:
            where = f"{where}: {self.key}"
        return f"{where}: {self.message}"

    def sort_key(self) -> tuple[str, int, str, str]:
        """Order problems by file, then line, then key."""
        return (str(self.file), self.line or 0, self.key or "", self.message)


class PromptError(Exception):
    """The prompt files are invalid; `problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        heading = f"{count} problem{'' if count == 1 else 's'} in the prompt files:"
        return "\n".join([heading, *(f"  - {problem}" for problem in self.problems)])


class RenderError(Exception):
    """A prompt failed to render, e.g. a variable the template needs was not given."""

    def __init__(self, *, key: str, language: str, reason: str) -> None:
        self.key = key
        self.language = language
        self.reason = reason
        super().__init__(f"cannot render prompt {key!r} ({language}): {reason}")


class PromptLookupError(LookupError):
    """A prompt key, pool, item or language that does not exist was asked for."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown prompt"
