"""Where each key of a TOML document is written, for error messages that name a line.

`tomllib` returns plain dictionaries without positions. `Locator` walks a document
that `tomllib` has already accepted (table headers, arrays of tables with their
indexes, dotted and quoted keys, the elements of arrays and inline tables, skipping
strings and comments) and records, for every key path, the line of its key and the
line where a string value's text starts, so a template error on line 3 of a
multi-line string can be reported at its real line in the file.

A key path is placed at its first mention: a table that a header or a dotted key
implies (`a` for `[a.b]`) is placed there, even if `[a]` comes later.
"""

from __future__ import annotations

import bisect
import logging
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

log = logging.getLogger(__name__)

Key = str | int
KeyPath = tuple[Key, ...]

_SPACE = " \t"
_BLANK = " \t\r\n"
_SCALAR_END = ",]}#\n"
_SYNTAX_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True, kw_only=True, slots=True)
class Location:
    """The line of a key, and the line where its string value's text begins."""

    line: int
    text_line: int


def syntax_error_line(error: tomllib.TOMLDecodeError, source: str) -> int:
    """Return the line a `tomllib` syntax error points at."""
    match = _SYNTAX_LINE.search(str(error))
    if match:
        return int(match.group(1))
    return source.count("\n") + 1


class Locator:
    """The locations of the key paths written in one TOML document."""

    def __init__(self, source: str) -> None:
        self._found = _Scanner(source).run()

    def find(self, path: Sequence[Key]) -> Location | None:
        """Return the location of `path`, or of its nearest written ancestor, or None."""
        probe = tuple(path)
        while probe:
            found = self._found.get(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return None

    def line_of(self, path: Sequence[Key]) -> int | None:
        """Return the line of `path`, or of its nearest written ancestor, or None."""
        found = self.find(path)
        return None if found is None else found.line

    def paths(self) -> Mapping[KeyPath, Location]:
        """Return every located key path with its location (for inspection and tests)."""
        return MappingProxyType(self._found)


def _parse_key(raw: str) -> tuple[str, ...]:
    """Split a raw (possibly dotted and quoted) key using tomllib itself."""
    document = tomllib.loads(f"{raw.strip()} = 0")
    keys: list[str] = []
    node: object = document
    while isinstance(node, dict) and node:
        name = next(iter(node))
        keys.append(name)
        node = node[name]
    return tuple(keys)


class _Scanner:
    """A structural pass over a valid TOML document: keys, tables and string values."""

    def __init__(self, source: str) -> None:
        self._s = source
        self._n = len(source)
        self._starts = [0] + [i + 1 for i, char in enumerate(source) if char == "\n"]
        self._found: dict[KeyPath, Location] = {}
        self._arrays: dict[KeyPath, int] = {}

    def run(self) -> dict[KeyPath, Location]:
        table: KeyPath = ()
        pos = 0
        while True:
            pos = self._skip(pos, _BLANK, comments=True)
            if pos >= self._n:
                return self._found
            if self._s[pos] == "[":
                pos, table = self._header(pos)
            else:
                pos = self._pair(pos, table)
            pos = self._to_line_end(pos)

    def _line(self, pos: int) -> int:
        return bisect.bisect_right(self._starts, pos)

    def _record(self, path: KeyPath, line: int, text_line: int | None = None) -> None:
        """Record where `path` is written; its first mention wins."""
        location = Location(line=line, text_line=line if text_line is None else text_line)
        self._found.setdefault(path, location)

    def _record_tables(self, path: KeyPath, start: int, line: int) -> None:
        """Record the tables that `path` implies (`a` and `a.b` for `a.b.c`) from depth `start`."""
        for depth in range(start, len(path)):
            self._record(path[:depth], line)

    def _skip(self, pos: int, chars: str, *, comments: bool) -> int:
        while pos < self._n:
            if self._s[pos] in chars:
                pos += 1
            elif comments and self._s[pos] == "#":
                end = self._s.find("\n", pos)
                pos = self._n if end < 0 else end
            else:
                break
        return pos

    def _to_line_end(self, pos: int) -> int:
        end = self._s.find("\n", pos)
        return self._n if end < 0 else end + 1

    def _key_end(self, pos: int, stops: str) -> int:
        while pos < self._n and self._s[pos] not in stops:
            if self._s[pos] in "\"'":
                pos = self._string_end(pos)
            else:
                pos += 1
        return pos

    def _header(self, pos: int) -> tuple[int, KeyPath]:
        is_array = self._s.startswith("[[", pos)
        start = pos + (2 if is_array else 1)
        end = self._key_end(start, "]")
        keys = _parse_key(self._s[start:end])
        line = self._line(pos)
        resolved: KeyPath = ()
        for name in keys[:-1]:
            resolved += (name,)
            if resolved in self._arrays:
                resolved += (self._arrays[resolved] - 1,)
        resolved += (keys[-1],)
        self._record_tables(resolved, 1, line)
        self._record(resolved, line)
        if is_array:
            self._arrays[resolved] = self._arrays.get(resolved, 0) + 1
            resolved += (self._arrays[resolved] - 1,)
            self._record(resolved, line)
        return end + (2 if is_array else 1), resolved

    def _pair(self, pos: int, prefix: KeyPath) -> int:
        equals = self._key_end(pos, "=")
        path = prefix + _parse_key(self._s[pos:equals])
        line = self._line(pos)
        self._record_tables(path, len(prefix) + 1, line)
        return self._value(equals + 1, path, line)

    def _value(self, pos: int, path: KeyPath, line: int) -> int:
        pos = self._skip(pos, _SPACE, comments=False)
        if pos >= self._n:
            return pos
        char = self._s[pos]
        if char in "\"'":
            triple = self._s.startswith(char * 3, pos)
            text_line = self._line(pos)
            if triple and self._s.startswith(("\n", "\r\n"), pos + 3):
                text_line += 1
            self._record(path, line, text_line if triple else None)
            return self._string_end(pos)
        self._record(path, line)
        if char == "[":
            return self._array(pos + 1, path)
        if char == "{":
            return self._inline_table(pos + 1, path)
        while pos < self._n and self._s[pos] not in _SCALAR_END:
            pos += 1
        return pos

    def _array(self, pos: int, path: KeyPath) -> int:
        index = 0
        while True:
            pos = self._skip(pos, _BLANK + ",", comments=True)
            if pos >= self._n or self._s[pos] == "]":
                return pos + 1
            pos = self._value(pos, (*path, index), self._line(pos))
            index += 1

    def _inline_table(self, pos: int, path: KeyPath) -> int:
        while True:
            pos = self._skip(pos, _BLANK + ",", comments=True)
            if pos >= self._n or self._s[pos] == "}":
                return pos + 1
            pos = self._pair(pos, path)

    def _string_end(self, pos: int) -> int:
        """Return the position just after the string that starts at `pos`."""
        quote = self._s[pos]
        if self._s.startswith(quote * 3, pos):
            end = self._find_closing(pos + 3, quote * 3, escapes=quote == '"')
            extra = 0
            while extra < 2 and self._s.startswith(quote, end + extra):
                extra += 1
            return end + extra
        return self._find_closing(pos + 1, quote, escapes=quote == '"')

    def _find_closing(self, pos: int, delimiter: str, *, escapes: bool) -> int:
        while pos < self._n:
            if escapes and self._s[pos] == "\\":
                pos += 2
            elif self._s.startswith(delimiter, pos):
                return pos + len(delimiter)
            else:
                pos += 1
        return self._n
