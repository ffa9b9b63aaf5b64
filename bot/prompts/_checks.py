"""Template checks (syntax, sandbox rules) and the comparison between languages."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from jinja2 import Template, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
)

from bot.domain.mentions import RESERVED
from bot.prompts._files import LanguageSource, PoolSource
from bot.prompts._problems import Problem, file_and_line
from bot.prompts._render import Renderer

log = logging.getLogger(__name__)

_UNSAFE_ATTRIBUTES = frozenset(
    {
        "mro",
        *UNSAFE_FUNCTION_ATTRIBUTES,
        *UNSAFE_METHOD_ATTRIBUTES,
        *UNSAFE_GENERATOR_ATTRIBUTES,
        *UNSAFE_COROUTINE_ATTRIBUTES,
        *UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    }
)
# Methods that change a list, dict, set or deque: the immutable sandbox refuses them.
_MUTATORS = frozenset(
    {
        "add",
        "append",
        "appendleft",
        "clear",
        "difference_update",
        "discard",
        "extend",
        "extendleft",
        "insert",
        "intersection_update",
        "pop",
        "popitem",
        "popleft",
        "remove",
        "reverse",
        "rotate",
        "setdefault",
        "sort",
        "symmetric_difference_update",
        "update",
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Compiled:
    """A compiled template and the variables it expects."""

    template: Template
    variables: frozenset[str]


@dataclass(frozen=True, kw_only=True, slots=True)
class CompiledPool:
    """A pool's compiled title and items (by id)."""

    source: PoolSource
    title: Compiled | None
    items: Mapping[str, Compiled]


@dataclass(kw_only=True, slots=True)
class CompiledLanguage:
    """Every template of one language that compiled."""

    strings: dict[str, Compiled] = field(default_factory=dict)
    pools: dict[str, CompiledPool] = field(default_factory=dict)


def compile_language(
    source: LanguageSource, renderer: Renderer, problems: list[Problem]
) -> CompiledLanguage:
    """Compile every string and pool template of one language, reporting failures."""
    result = CompiledLanguage()
    for key, entry in source.strings.items():
        compiled = _compile(renderer, entry.source, entry.file, key, entry.text_line, problems)
        if compiled is not None:
            result.strings[key] = compiled
    for name, pool in source.pools.items():
        title = _compile(
            renderer, pool.title, pool.file, f"pools.{name}.title", pool.title_line, problems
        )
        items: dict[str, Compiled] = {}
        for item in pool.items:
            where = f"pools.{name}.{item.id}"
            compiled = _compile(renderer, item.text, item.file, where, item.text_line, problems)
            if compiled is not None:
                items[item.id] = compiled
        result.pools[name] = CompiledPool(source=pool, title=title, items=items)
    return result


def _compile(
    renderer: Renderer,
    source: str,
    file: Path,
    key: str,
    first_line: int | None,
    problems: list[Problem],
) -> Compiled | None:
    def report(template_line: int | None, message: str) -> None:
        line = first_line
        if first_line is not None and template_line is not None:
            line = first_line + template_line - 1
        suffix = "" if template_line is None else f" (template line {template_line})"
        problems.append(Problem(file=file, key=key, line=line, message=f"{message}{suffix}"))

    if RESERVED & set(source):
        report(None, "contains reserved marker characters (U+E000 to U+E009)")
        return None
    try:
        tree = renderer.parse(source)
    except TemplateSyntaxError as exc:
        report(exc.lineno, f"template does not parse: {exc.message}")
        return None
    violations = _sandbox_violations(tree, renderer)
    for line, message in violations:
        report(line, message)
    if violations:
        return None
    for line in _joined_lines(source):
        report(
            line,
            "a line of text ends with a {% ... %} tag, so its line break is removed and the "
            "next line is glued to it: end the tag with +%} to keep the break, or move the "
            "tag to a line of its own",
        )
    variables = frozenset(meta.find_undeclared_variables(tree) - set(renderer.env.globals))
    try:
        template = renderer.compile(tree)
    except TemplateSyntaxError as exc:
        report(exc.lineno, f"template does not compile: {exc.message}")
        return None
    return Compiled(template=template, variables=variables)


_BLOCK_TAG_AT_END = re.compile(r"\{%[^+]*?(?<![-+])%\}[ \t]*$")
_TAGS_ONLY = re.compile(r"[ \t]*(?:\{%.*?%\}[ \t]*)+")


def _joined_lines(source: str) -> list[int]:
    """Return the lines (1-based) of text whose ending block tag glues the next line to them.

    Templates render with `trim_blocks`: the line break after a block tag is removed,
    which a line holding only tags wants (it leaves no empty line) but a line of text
    does not, unless the next line is empty.
    """
    lines = source.split("\n")
    return [
        number
        for number, (line, following) in enumerate(itertools.pairwise(lines), 1)
        if _BLOCK_TAG_AT_END.search(line)
        and not _TAGS_ONLY.fullmatch(line)
        and following.strip()
        and not _TAGS_ONLY.fullmatch(following)
    ]


def _sandbox_violations(tree: nodes.Template, renderer: Renderer) -> list[tuple[int, str]]:
    """Find what the sandbox would refuse at render time, so it fails at load instead."""
    found: list[tuple[int, str]] = []
    kinds = (
        nodes.Getattr,
        nodes.Getitem,
        nodes.Filter,
        nodes.Test,
        nodes.Include,
        nodes.Import,
        nodes.FromImport,
        nodes.Extends,
    )
    for node in tree.find_all(kinds):
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            name = node.attr if isinstance(node, nodes.Getattr) else _constant_name(node.arg)
            if name is None:
                continue
            if name.startswith("_") or name in _UNSAFE_ATTRIBUTES:
                found.append((node.lineno, f"the sandbox forbids access to {name!r}"))
            elif isinstance(node, nodes.Getattr) and name in _MUTATORS:
                found.append((node.lineno, f"the sandbox forbids changing values ({name!r})"))
        elif isinstance(node, nodes.Filter):
            if node.name not in renderer.env.filters:
                found.append((node.lineno, f"unknown filter {node.name!r}"))
        elif isinstance(node, nodes.Test):
            if node.name not in renderer.env.tests:
                found.append((node.lineno, f"unknown test {node.name!r}"))
        else:
            found.append((node.lineno, "templates cannot include, import or extend templates"))
    return found


def _constant_name(node: nodes.Expr) -> str | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return None


def compare_languages(
    sources: Mapping[str, LanguageSource],
    compiled: Mapping[str, CompiledLanguage],
    reference: str,
    problems: list[Problem],
) -> None:
    """Report keys and pools missing in a language, and placeholders that differ."""
    order = [reference, *(language for language in sources if language != reference)]
    keys = sorted({key for source in sources.values() for key in source.strings})
    for key in keys:
        holders = [language for language in order if key in sources[language].strings]
        first = sources[holders[0]].strings[key]
        for language in order:
            if language in holders or key.split(".")[0] in sources[language].broken_stems:
                continue
            problems.append(
                Problem(
                    file=_counterpart(first.file, language),
                    key=key,
                    message=(
                        f"missing in {language!r}; "
                        f"defined in {file_and_line(first.file, first.line)}"
                    ),
                )
            )
        entries: list[tuple[str, Compiled, _Located]] = [
            (language, compiled[language].strings[key], sources[language].strings[key])
            for language in holders
            if key in compiled[language].strings
        ]
        _compare_variables(key, entries, problems)
    names = sorted({name for source in sources.values() for name in source.pools})
    for name in names:
        holders = [language for language in order if name in sources[language].pools]
        first_pool = sources[holders[0]].pools[name]
        for language in order:
            if language in holders or sources[language].broken_pools:
                continue
            problems.append(
                Problem(
                    file=_counterpart(first_pool.file, language),
                    key=f"pools.{name}",
                    message=(
                        f"pool missing in {language!r}; "
                        f"defined in {file_and_line(first_pool.file, first_pool.line)}"
                    ),
                )
            )
        _compare_pool(name, holders, compiled, problems)


def _compare_pool(
    name: str,
    holders: list[str],
    compiled: Mapping[str, CompiledLanguage],
    problems: list[Problem],
) -> None:
    pools = [(language, compiled[language].pools[name]) for language in holders]
    titles: list[tuple[str, Compiled, _Located]] = [
        (language, pool.title, _Where(file=pool.source.file, line=pool.source.title_line))
        for language, pool in pools
        if pool.title is not None
    ]
    _compare_variables(f"pools.{name}.title", titles, problems)
    ids = sorted({item_id for _, pool in pools for item_id in pool.items})
    for item_id in ids:
        entries: list[tuple[str, Compiled, _Located]] = []
        for language, pool in pools:
            if item_id in pool.items:
                item = next(item for item in pool.source.items if item.id == item_id)
                entries.append((language, pool.items[item_id], item))
        _compare_variables(f"pools.{name}.{item_id}", entries, problems)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Where:
    file: Path
    line: int | None


class _Located(Protocol):
    @property
    def file(self) -> Path: ...

    @property
    def line(self) -> int | None: ...


def _compare_variables(
    key: str, entries: Sequence[tuple[str, Compiled, _Located]], problems: list[Problem]
) -> None:
    if len(entries) < 2:
        return
    base_language, base, base_where = entries[0]
    for language, other, where in entries[1:]:
        if other.variables == base.variables:
            continue
        problems.append(
            Problem(
                file=where.file,
                key=key,
                line=where.line,
                message=(
                    f"placeholders differ from {base_language!r} "
                    f"({file_and_line(base_where.file, base_where.line)}): {base_language} uses "
                    f"{_names(base.variables)}, {language} uses {_names(other.variables)}"
                ),
            )
        )


def _names(variables: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(variables)) + "}" if variables else "no placeholders"


def _counterpart(file: Path, language: str) -> Path:
    """Return where `file` would live in another language's folder."""
    return file.parent.parent / language / file.name
