"""What is wrong with a config file, said in the operator's terms: key path, line, message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: Sequence[str | int]) -> str:
    """Spell a key path as the operator reads it: `communities[1].posts.schedules[0].cron`."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            name = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
            text += f".{name}" if text else name
    return text


@dataclass(frozen=True, kw_only=True, slots=True)
class ConfigProblem:
    """One problem: where it is (key path, line, column) and what is wrong."""

    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.path:
            where.append(self.path)
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ConfigError(Exception):
    """A config that must not start the bot, with every problem found in it.

    A problem may be given as a `ConfigProblem` or as a `(key path, message)` pair.
    """

    def __init__(self, path: Path, problems: Iterable[ConfigProblem | tuple[str, str]]) -> None:
        self.path = path
        self.problems: tuple[ConfigProblem, ...] = tuple(
            problem
            if isinstance(problem, ConfigProblem)
            else ConfigProblem(path=problem[0], message=problem[1])
            for problem in problems
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        header = f"{self.path}: {count} problem{'' if count == 1 else 's'}"
        return "\n  ".join([header, *(str(problem) for problem in self.problems)])
