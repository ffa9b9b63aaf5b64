"""Where each key of a TOML document sits, for error messages that name a line.

`tomllib` returns plain dictionaries without positions. This scanner walks a
document that `tomllib` has already accepted and records, for every key path
(table names, dotted keys, array indices), the line of the key and the line
where a string value's text starts, so a template error on line 3 of a
multi-line string can be reported at its real line in the file.
"""

from __future__ import annotations

import bisect
import logging
import re
import tomllib
from dataclasses import dataclass

log = logging.getLogger(__name__)

KeyPath = tuple[str | int, ...]

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


def locate(source: str) -> dict[KeyPath, Location]:
    """Map every key path of an already valid TOML document to its location."""
    return _Scanner(source).run()


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
        self._found.setdefault(path, Location(line=line, text_line=text_line or line))

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
        resolved: KeyPath = ()
        for name in keys[:-1]:
            resolved += (name,)
            if resolved in self._arrays:
                resolved += (self._arrays[resolved] - 1,)
        resolved += (keys[-1],)
        if is_array:
            self._record(resolved, self._line(pos))
            self._arrays[resolved] = self._arrays.get(resolved, 0) + 1
            resolved += (self._arrays[resolved] - 1,)
        self._record(resolved, self._line(pos))
        return end + (2 if is_array else 1), resolved

    def _pair(self, pos: int, prefix: KeyPath) -> int:
        equals = self._key_end(pos, "=")
        keys = _parse_key(self._s[pos:equals])
        return self._value(equals + 1, prefix + keys, self._line(pos))

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
