"""Find the line where a key path of a TOML document is written (tomllib gives no positions).

The locator expects text that `tomllib` already accepted: it reads table headers, array
of tables (counting their indexes), `key = value` lines with dotted or quoted keys, and
the elements of arrays and inline tables, skipping strings and comments.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence

Key = str | int
KeyPath = tuple[Key, ...]

_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    """A cursor over the document that records the line of every key path it meets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[KeyPath, int] = {}
        self.array_lengths: dict[KeyPath, int] = {}

    def scan(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while self._skip_blank_lines():
            if self._peek() == "[":
                table = self._header()
            else:
                self._key_value(table)
        return self.lines

    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def _advance(self, count: int = 1) -> None:
        end = min(self.pos + count, len(self.text))
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def _record(self, path: KeyPath, line: int) -> None:
        self.lines.setdefault(path, line)

    def _skip_spaces(self) -> None:
        while self._peek() in (" ", "\t"):
            self._advance()

    def _skip_comment(self) -> None:
        if self._peek() == "#":
            end = self.text.find("\n", self.pos)
            self._advance((len(self.text) if end < 0 else end) - self.pos)

    def _skip_blank_lines(self) -> bool:
        """Skip whitespace, newlines and comments; return whether content remains."""
        while True:
            self._skip_spaces()
            self._skip_comment()
            if self._peek() in ("\n", "\r"):
                self._advance()
            elif self._peek() == "":
                return False
            else:
                return True

    def _header(self) -> KeyPath:
        line = self.line
        is_array = self._peek(1) == "["
        self._advance(2 if is_array else 1)
        keys = self._dotted_key()
        self._advance(2 if is_array else 1)
        path = (*self._resolve(keys[:-1]), keys[-1])
        for depth in range(1, len(path)):
            self._record(path[:depth], line)
        self._record(path, line)
        if is_array:
            index = self.array_lengths.get(path, 0)
            self.array_lengths[path] = index + 1
            path = (*path, index)
            self._record(path, line)
        return path

    def _resolve(self, keys: Sequence[str]) -> KeyPath:
        """Turn header keys into a path, entering the last element of arrays of tables."""
        path: KeyPath = ()
        for key in keys:
            path = (*path, key)
            if path in self.array_lengths:
                path = (*path, self.array_lengths[path] - 1)
        return path

    def _key_value(self, table: KeyPath) -> None:
        line = self.line
        path = table + tuple(self._dotted_key())
        for depth in range(len(table) + 1, len(path)):
            self._record(path[:depth], line)
        self._record(path, line)
        self._skip_spaces()
        self._advance()  # the "="
        self._skip_spaces()
        self._value(path)

    def _dotted_key(self) -> list[str]:
        keys: list[str] = []
        while True:
            self._skip_spaces()
            keys.append(self._simple_key())
            self._skip_spaces()
            if self._peek() != ".":
                return keys
            self._advance()

    def _simple_key(self) -> str:
        if self._peek() in ('"', "'"):
            start = self.pos
            self._string()
            quoted = self.text[start : self.pos]
            decoded: str = tomllib.loads(f"k = {quoted}")["k"]
            return decoded
        start = self.pos
        while self._peek() in _BARE_KEY_CHARS:
            self._advance()
        return self.text[start : self.pos]

    def _value(self, path: KeyPath) -> None:
        char = self._peek()
        if char == "[":
            self._array(path)
        elif char == "{":
            self._inline_table(path)
        elif char in ('"', "'"):
            self._string()
        else:
            while self._peek() not in ("", "\n", "\r", "#", ",", "]", "}", " ", "\t"):
                self._advance()
            # Dates and times may hold one space ("1979-05-27 07:32:00").
            if self._peek() == " " and self._peek(1).isdigit() and self._peek(-1).isdigit():
                self._advance()
                self._value(path)

    def _array(self, path: KeyPath) -> None:
        self._advance()  # "["
        index = 0
        while self._skip_blank_lines() and self._peek() != "]":
            if self._peek() == ",":
                self._advance()
                continue
            self._record((*path, index), self.line)
            self._value((*path, index))
            index += 1
        self._advance()  # "]"

    def _inline_table(self, path: KeyPath) -> None:
        self._advance()  # "{"
        while True:
            self._skip_spaces()
            if self._peek() in ("}", ""):
                self._advance()
                return
            if self._peek() == ",":
                self._advance()
                continue
            self._key_value(path)

    def _string(self) -> None:
        quote = self._peek()
        delimiter = quote * 3 if self.text.startswith(quote * 3, self.pos) else quote
        self._advance(len(delimiter))
        while self._peek() != "":
            if quote == '"' and self._peek() == "\\":
                self._advance(2)
            elif self.text.startswith(delimiter, self.pos):
                self._advance(len(delimiter))
                # A multi-line string may end with up to two extra quotes ("""a"""").
                while len(delimiter) == 3 and self._peek() == quote:
                    self._advance()
                return
            else:
                self._advance()


class Locator:
    """Line numbers of the key paths written in one TOML document."""

    def __init__(self, text: str) -> None:
        self._lines = _Scanner(text).scan()

    def line_of(self, path: Sequence[Key]) -> int | None:
        """Return the line of `path`, or of its nearest written ancestor, or None."""
        probe = tuple(path)
        while probe:
            line = self._lines.get(probe)
            if line is not None:
                return line
            probe = probe[:-1]
        return None

    def paths(self) -> dict[KeyPath, int]:
        """Return every located key path with its line (for inspection and tests)."""
        return dict(self._lines)
