"""Loaded prompts: each language's catalog of strings and pools, and loading them all."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from pathlib import Path
from types import MappingProxyType

from jinja2 import Template

from bot.domain import Post
from bot.prompts._checks import CompiledLanguage, compare_languages, compile_language
from bot.prompts._files import LanguageSource, read_language
from bot.prompts._problems import Problem, PromptError, PromptLookupError
from bot.prompts._render import DEFAULT_MAX_LENGTH, Renderer, cap

log = logging.getLogger(__name__)

REFERENCE_LANGUAGE = "en"


@dataclass(frozen=True, kw_only=True, slots=True)
class ContentItem:
    """One entry of a content pool: a stable id, its template text and topic tags."""

    id: str
    text: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Pool:
    """A named set of content items posted in rotation under a common title."""

    name: str
    title: str
    items: tuple[ContentItem, ...]

    def item(self, item_id: str) -> ContentItem:
        """Return the item with this id."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise PromptLookupError(f"no item {item_id!r} in pool {self.name!r}")


class Catalog:
    """One language's compiled strings and pools, ready to render."""

    def __init__(self, *, renderer: Renderer, compiled: CompiledLanguage) -> None:
        self.language = renderer.language
        self._renderer = renderer
        self._strings = {key: entry.template for key, entry in compiled.strings.items()}
        self._pools: dict[str, Pool] = {}
        self._pool_templates: dict[str, tuple[Template, dict[str, Template]]] = {}
        for name, pool in compiled.pools.items():
            if pool.title is None:
                continue
            self._pools[name] = Pool(
                name=name,
                title=pool.source.title,
                items=tuple(
                    ContentItem(id=item.id, text=item.text, tags=item.tags)
                    for item in pool.source.items
                ),
            )
            self._pool_templates[name] = (
                pool.title.template,
                {item_id: entry.template for item_id, entry in pool.items.items()},
            )
        # The date filters render this language's `formats.*` strings.
        renderer.formats = {k: t for k, t in self._strings.items() if k.startswith("formats.")}

    def has(self, key: str) -> bool:
        """Return whether a string exists at `key`."""
        return key in self._strings

    def keys(self, prefix: str = "") -> tuple[str, ...]:
        """Return the sorted string keys starting with `prefix` (e.g. `commands.`)."""
        return tuple(sorted(key for key in self._strings if key.startswith(prefix)))

    def text(self, key: str, **variables: object) -> str:
        """Render a string as plain text; mentions are shown as `@name`."""
        return cap(self.post(key, **variables).plain_text(), self._renderer.max_length)

    def post(self, key: str, **variables: object) -> Post:
        """Render a string as a `Post`; `Mention` variables become real mentions."""
        template = self._strings.get(key)
        if template is None:
            raise PromptLookupError(f"no prompt {key!r} in language {self.language!r}")
        return self._renderer.render(key, [template], variables)

    def pool(self, name: str) -> Pool:
        """Return the content pool called `name`."""
        pool = self._pools.get(name)
        if pool is None:
            raise PromptLookupError(f"no pool {name!r} in language {self.language!r}")
        return pool

    def pools(self) -> Mapping[str, Pool]:
        """Return every content pool by name."""
        return MappingProxyType(self._pools)

    def render_item(self, pool_name: str, item_id: str, **variables: object) -> Post:
        """Render a pool item as a post: the pool's title, a blank line, the item's text."""
        self.pool(pool_name).item(item_id)
        title, items = self._pool_templates[pool_name]
        key = f"pools.{pool_name}.{item_id}"
        return self._renderer.render(key, [title, items[item_id]], variables)

    def text_of_title(self, pool_name: str, **variables: object) -> str:
        """Render a pool's title as plain text (e.g. for a thread name)."""
        self.pool(pool_name)
        title, _ = self._pool_templates[pool_name]
        post = self._renderer.render(f"pools.{pool_name}.title", [title], variables)
        return cap(post.plain_text(), self._renderer.max_length)

    def format_datetime(
        self, value: date, timezone: str | tzinfo | None = None, style: str = "datetime"
    ) -> str:
        """Format a date or aware datetime: style `date`, `full_date`, `time` or `datetime`."""
        return self._renderer.format_datetime(value, timezone, style)


class Prompts:
    """Every language's catalog, loaded and validated together."""

    def __init__(self, catalogs: Mapping[str, Catalog]) -> None:
        self._catalogs = dict(catalogs)
        self.languages: tuple[str, ...] = tuple(sorted(self._catalogs))

    @classmethod
    def load(
        cls,
        directory: Path,
        extra: Sequence[Path] = (),
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> Prompts:
        """Load, validate and compile `directory` plus operator `extra` directories."""
        problems: list[Problem] = []
        languages = _languages(directory, extra, problems)
        if not languages:
            raise PromptError(problems)
        directories = [directory, *(path for path in extra if path.is_dir())]
        sources: dict[str, LanguageSource] = {}
        compiled: dict[str, CompiledLanguage] = {}
        renderers: dict[str, Renderer] = {}
        for language in languages:
            try:
                renderers[language] = Renderer(language, max_length=max_length)
            except ValueError as exc:
                problems.append(Problem(file=directory / language, message=str(exc)))
                continue
            sources[language] = read_language(language, directories, problems)
            compiled[language] = compile_language(sources[language], renderers[language], problems)
        if problems and not renderers:
            raise PromptError(problems)
        languages = [language for language in languages if language in renderers]
        reference = REFERENCE_LANGUAGE if REFERENCE_LANGUAGE in languages else languages[0]
        compare_languages(sources, compiled, reference, problems)
        if problems:
            raise PromptError(problems)
        catalogs = {
            language: Catalog(renderer=renderers[language], compiled=compiled[language])
            for language in languages
        }
        log.info(
            "loaded prompts from %s: languages %s, %d strings and %d pools each",
            ", ".join(str(path) for path in directories),
            ", ".join(languages),
            len(compiled[reference].strings),
            len(compiled[reference].pools),
        )
        return cls(catalogs)

    def catalog(self, language: str) -> Catalog:
        """Return the catalog for `language`."""
        catalog = self._catalogs.get(language)
        if catalog is None:
            known = ", ".join(self.languages)
            raise PromptLookupError(f"no prompts in language {language!r} (have: {known})")
        return catalog


def _languages(directory: Path, extra: Sequence[Path], problems: list[Problem]) -> list[str]:
    """Return the language folders of `directory`; check the extra directories match."""
    if not directory.is_dir():
        problems.append(Problem(file=directory, message="prompt directory not found"))
        return []
    languages = _folders(directory)
    if not languages:
        problems.append(
            Problem(file=directory, message="no language folders (expected e.g. en/ and fr/)")
        )
        return []
    for path in extra:
        if not path.is_dir():
            problems.append(Problem(file=path, message="extra prompt directory not found"))
            continue
        for language in _folders(path):
            if language not in languages:
                problems.append(
                    Problem(
                        file=path / language,
                        message=(
                            f"language {language!r} is not in {directory} "
                            f"(have: {', '.join(languages)})"
                        ),
                    )
                )
    return languages


def _folders(directory: Path) -> list[str]:
    return sorted(
        child.name
        for child in directory.iterdir()
        if child.is_dir() and not child.name.startswith((".", "_"))
    )
