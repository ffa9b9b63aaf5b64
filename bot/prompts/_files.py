"""Reading one language's prompt files: strings and pools, with their locations.

This pass checks the shape of each file (TOML syntax, allowed value types, pool
and item fields, id format, duplicates). Templates and the comparison between
languages are checked afterwards, in `_checks`.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot._toml_lines import KeyPath, Locator, syntax_error_line
from bot.prompts._problems import Problem, file_and_line

log = logging.getLogger(__name__)

POOLS = "pools"
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SLUG_MAX = 64
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
_POOL_FIELDS = frozenset({"title", "items"})
_ITEM_FIELDS = frozenset({"id", "text", "tags"})


@dataclass(frozen=True, kw_only=True, slots=True)
class StringSource:
    """A string entry as written: its key, template source and location."""

    key: str
    source: str
    file: Path
    line: int | None
    text_line: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemSource:
    """A pool item as written."""

    id: str
    text: str
    tags: tuple[str, ...]
    file: Path
    line: int | None
    text_line: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class PoolSource:
    """A content pool as written."""

    name: str
    title: str
    items: tuple[ItemSource, ...]
    file: Path
    line: int | None
    title_line: int | None


@dataclass(kw_only=True, slots=True)
class LanguageSource:
    """Everything read for one language, plus the files that could not be read."""

    language: str
    strings: dict[str, StringSource] = field(default_factory=dict)
    pools: dict[str, PoolSource] = field(default_factory=dict)
    broken_stems: set[str] = field(default_factory=set)
    broken_pools: bool = False


def read_language(
    language: str, directories: Sequence[Path], problems: list[Problem]
) -> LanguageSource:
    """Read `<directory>/<language>/*.toml` for each directory, in order."""
    result = LanguageSource(language=language)
    for directory in directories:
        folder = directory / language
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            _read_file(path, result, problems)
    return result


def _read_file(path: Path, result: LanguageSource, problems: list[Problem]) -> None:
    stem = path.stem
    if not _SEGMENT.match(stem):
        problems.append(
            Problem(file=path, message="file name must use only letters, digits, '_' and '-'")
        )
        result.broken_stems.add(stem)
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file=path, message=f"cannot read file: {exc}"))
        result.broken_stems.add(stem)
        result.broken_pools = True
        return
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(
            Problem(
                file=path, line=syntax_error_line(exc, text), message=f"TOML syntax error: {exc}"
            )
        )
        result.broken_stems.add(stem)
        result.broken_pools = True
        return
    try:
        locator = Locator(text)
    except tomllib.TOMLDecodeError as exc:  # the scanner misread a valid file
        log.warning("%s: cannot locate keys (%s); problems will have no line numbers", path, exc)
        locator = Locator("")
    reader = _FileReader(path=path, stem=stem, locator=locator, problems=problems)
    for name, value in document.items():
        if name == POOLS:
            reader.pools(value, result)
        else:
            reader.strings((name,), value, result)


@dataclass(kw_only=True, slots=True)
class _FileReader:
    path: Path
    stem: str
    locator: Locator
    problems: list[Problem]

    def _problem(self, path: KeyPath, key: str | None, message: str) -> None:
        line = self.locator.line_of(path)
        self.problems.append(Problem(file=self.path, key=key, line=line, message=message))

    def _key(self, path: KeyPath) -> str:
        return ".".join([self.stem, *(str(part) for part in path)])

    def strings(self, path: KeyPath, value: object, result: LanguageSource) -> None:
        key = self._key(path)
        if not _SEGMENT.match(str(path[-1])):
            self._problem(path, key, "key parts must use only letters, digits, '_' and '-'")
            return
        if isinstance(value, dict):
            for name, child in value.items():
                self.strings((*path, name), child, result)
            return
        if not isinstance(value, str):
            kind = type(value).__name__
            self._problem(path, key, f"expected a string or a table, found {kind}")
            return
        if key in result.strings:
            other = result.strings[key]
            self._problem(
                path, key, f"defined twice; also in {file_and_line(other.file, other.line)}"
            )
            return
        if not value.strip():
            self._problem(path, key, "empty text")
        where = self.locator.find(path)
        result.strings[key] = StringSource(
            key=key,
            source=value,
            file=self.path,
            line=None if where is None else where.line,
            text_line=None if where is None else where.text_line,
        )

    def pools(self, value: object, result: LanguageSource) -> None:
        if not isinstance(value, dict):
            self._problem((POOLS,), POOLS, "'pools' must be a table of pools")
            return
        for name, body in value.items():
            pool = self._pool(name, body)
            if pool is None:
                continue
            if name in result.pools:
                other = result.pools[name]
                self._problem(
                    (POOLS, name),
                    f"pools.{name}",
                    f"pool defined twice; also in {file_and_line(other.file, other.line)}",
                )
                continue
            result.pools[name] = pool

    def _pool(self, name: str, body: object) -> PoolSource | None:
        path: KeyPath = (POOLS, name)
        label = f"pools.{name}"
        if not SLUG.match(name) or len(name) > SLUG_MAX:
            self._problem(path, label, "pool names are lowercase slugs (a-z, 0-9, '-', '_')")
            return None
        if not isinstance(body, dict):
            self._problem(path, label, "a pool must be a table with 'title' and 'items'")
            return None
        for unknown in sorted(set(body) - _POOL_FIELDS):
            self._problem((*path, unknown), label, f"unknown pool field {unknown!r}")
        title = body.get("title")
        if not isinstance(title, str):
            self._problem(path, label, "pool needs a 'title' string")
            title = ""
        elif not title.strip():
            self._problem((*path, "title"), f"{label}.title", "empty text")
        raw_items = body.get("items", [])
        if not isinstance(raw_items, list):
            self._problem((*path, "items"), label, "'items' must be an array of tables")
            raw_items = []
        if not raw_items:
            self._problem(path, label, "pool has no items")
        items: list[ItemSource] = []
        seen: dict[str, int | None] = {}
        for index, raw in enumerate(raw_items):
            item_path: KeyPath = (*path, "items", index)
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and raw_id in seen:
                first = seen[raw_id]
                self._problem(
                    (*item_path, "id"),
                    f"{label}.{raw_id}",
                    "duplicate item id"
                    + ("" if first is None else f"; first used at line {first}"),
                )
                continue
            if isinstance(raw_id, str):
                seen[raw_id] = self.locator.line_of(item_path)
            item = self._item(item_path, label, raw)
            if item is not None:
                items.append(item)
        title_where = self.locator.find((*path, "title"))
        return PoolSource(
            name=name,
            title=title,
            items=tuple(items),
            file=self.path,
            line=self.locator.line_of(path),
            title_line=None if title_where is None else title_where.text_line,
        )

    def _item(self, path: KeyPath, label: str, raw: object) -> ItemSource | None:
        where = f"{label} item #{path[-1]}"
        if not isinstance(raw, dict):
            self._problem(path, where, "an item must be a table with 'id' and 'text'")
            return None
        for unknown in sorted(set(raw) - _ITEM_FIELDS):
            self._problem((*path, unknown), where, f"unknown item field {unknown!r}")
        item_id = raw.get("id")
        if not isinstance(item_id, str) or not SLUG.match(item_id) or len(item_id) > SLUG_MAX:
            self._problem(
                (*path, "id"),
                where,
                f"malformed item id {item_id!r}: use a lowercase slug (a-z, 0-9, '-', '_'), "
                f"at most {SLUG_MAX} characters",
            )
            return None
        where = f"{label}.{item_id}"
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            self._problem((*path, "text"), where, "empty text" if text is not None else "no text")
            return None
        tags = raw.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            self._problem((*path, "tags"), where, "'tags' must be a list of non-empty strings")
            tags = []
        text_where = self.locator.find((*path, "text"))
        return ItemSource(
            id=item_id,
            text=text,
            tags=tuple(tags),
            file=self.path,
            line=self.locator.line_of(path),
            text_line=None if text_where is None else text_where.text_line,
        )
