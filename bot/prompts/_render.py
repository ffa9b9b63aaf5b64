"""Sandboxed rendering: one Jinja environment per language, mentions, output cap.

Member-supplied values are only ever template variables. Before rendering, every
string variable loses its mention-marker characters and every `Mention` becomes
a token that carries a per-render random nonce; after rendering, only those
tokens turn into real markers, and any other marker character left in the text
(from wherever it came) is stripped. Member text can therefore neither run as a
template nor forge a mention.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import StrictUndefined, Template, UndefinedError, nodes, pass_context
from jinja2.runtime import Context

from bot.domain import Mention, Post, mention_marker, strip_markers
from bot.prompts._budget import BUDGET, Budget, BudgetedSandbox, guard_loops, install
from bot.prompts._problems import PromptLookupError, RenderError

log = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 3500
ELLIPSIS = "…"
DATE_STYLES = ("date", "full_date", "time", "datetime")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
REGISTRY = "__terreau_mentions__"
_PARTIAL_MARKER = re.compile(re.escape(mention_marker(0)[0]) + r"\d*$")
_WHITESPACE = re.compile(r"\s")


class _Mentions:
    """The mentions handed to one render, each behind an unguessable token."""

    def __init__(self) -> None:
        nonce = secrets.token_hex(8)
        self._prefix = f"\ue002{nonce}:"
        self.pattern = re.compile(f"\ue002{nonce}:(\\d+)\ue003")
        self.given: list[Mention] = []

    def token(self, mention: Mention) -> str:
        self.given.append(mention)
        return f"{self._prefix}{len(self.given) - 1}\ue003"


def _prepare(value: object, registry: _Mentions) -> object:
    if isinstance(value, str):
        return strip_markers(value)
    if isinstance(value, Mention):
        return registry.token(value)
    if isinstance(value, list | tuple):
        return tuple(_prepare(item, registry) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(_prepare(item, registry) for item in value)
    if isinstance(value, Mapping):
        return {_prepare(name, registry): _prepare(item, registry) for name, item in value.items()}
    return value


@pass_context
def _finalize(context: Context, value: object) -> object:
    """Turn what a `{{ ... }}` produced into text: mentions, lists, None."""
    if value is None:
        return ""
    if isinstance(value, Mention):
        registry = context.get(REGISTRY)
        if isinstance(registry, _Mentions):
            return registry.token(value)
        return f"@{strip_markers(value.display_name)}"
    if isinstance(value, list | tuple):
        return ", ".join(str(_finalize(context, item)) for item in value)
    return value


def _plural_rule(language: str) -> Callable[[float], bool]:
    """Return whether a count takes the singular form ("one") in `language`."""
    if language.split("-")[0] == "fr":
        return lambda count: abs(count) < 2
    return lambda count: count == 1


def _zone(timezone: str | tzinfo) -> tzinfo:
    if not isinstance(timezone, str):
        return timezone
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {timezone!r}") from exc


def cap(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters on a word boundary, ending with '…'."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    boundaries = [match.start() for match in _WHITESPACE.finditer(head)]
    end = boundaries[-1] if boundaries and boundaries[-1] >= limit // 2 else limit - 1
    cut = _PARTIAL_MARKER.sub("", text[:end]).rstrip()
    return f"{cut}{ELLIPSIS}"


class Renderer:
    """One language's sandboxed environment and the render path every prompt takes."""

    def __init__(self, language: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.language = language
        self.max_length = max_length
        self.formats: dict[str, Template] = {}
        is_one = _plural_rule(language)
        env = BudgetedSandbox(
            undefined=StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals["plural"] = lambda count, one, other: one if is_one(count) else other
        install(env)
        for style in DATE_STYLES:
            env.filters[style] = self._date_filter(style)
        self.env = env

    def _date_filter(self, style: str) -> Callable[[date, str | tzinfo | None], str]:
        def apply(value: date, timezone: str | tzinfo | None = None) -> str:
            return self.format_datetime(value, timezone, style)

        return apply

    def parse(self, source: str) -> nodes.Template:
        """Parse a template source; raises `jinja2.TemplateSyntaxError`."""
        return self.env.parse(source)

    def compile(self, tree: nodes.Template) -> Template:
        """Compile a parsed template (its loops on the render budget).

        Raises `jinja2.TemplateSyntaxError` on bad filters.
        """
        return self.env.from_string(guard_loops(tree))

    def render(
        self, key: str, templates: Sequence[Template], variables: Mapping[str, object]
    ) -> Post:
        """Render templates (joined by a blank line) into one capped `Post`."""
        registry = _Mentions()
        context = {name: _prepare(value, registry) for name, value in variables.items()}
        context[REGISTRY] = registry
        context[BUDGET] = Budget()
        try:
            pieces = [template.render(context) for template in templates]
        except UndefinedError as exc:
            raise RenderError(key=key, language=self.language, reason=str(exc)) from exc
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise RenderError(key=key, language=self.language, reason=reason) from exc
        return self._assemble("\n\n".join(pieces).rstrip(), registry)

    def _assemble(self, raw: str, registry: _Mentions) -> Post:
        parts: list[str] = []
        mentions: list[Mention] = []
        index: dict[Mention, int] = {}
        position = 0
        for match in registry.pattern.finditer(raw):
            parts.append(strip_markers(raw[position : match.start()]))
            mention = registry.given[int(match.group(1))]
            if mention not in index:
                index[mention] = len(mentions)
                mentions.append(mention)
            parts.append(mention_marker(index[mention]))
            position = match.end()
        parts.append(strip_markers(raw[position:]))
        text = cap("".join(parts), self.max_length)
        # Mentions are numbered by first appearance, so a cut keeps a prefix of them.
        shown = Post(text=text, mentions=tuple(mentions)).segments()
        survivors = len({part for part in shown if isinstance(part, Mention)})
        return Post(text=text, mentions=tuple(mentions[:survivors]))

    def format_datetime(
        self, value: date, timezone: str | tzinfo | None = None, style: str = "datetime"
    ) -> str:
        """Format a date, or an aware datetime shown in `timezone`, with `formats.<style>`.

        Without a timezone, an aware datetime keeps its own; a plain `date` has no
        time, so it only takes the `date` and `full_date` styles.
        """
        if style not in DATE_STYLES:
            raise ValueError(f"unknown date style {style!r}; expected one of {DATE_STYLES}")
        words: dict[str, object] = {}
        local: date
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
            local = value if timezone is None else value.astimezone(_zone(timezone))
            words.update(hour=local.hour, minute=f"{local.minute:02d}", zone=local.tzname() or "")
        elif isinstance(value, date):
            if style in ("time", "datetime"):
                raise ValueError(f"a date has no time of day; style {style!r} needs a datetime")
            local = value
        else:
            raise TypeError(f"expected a date or datetime, got {type(value).__name__}")
        words.update(
            weekday=self._format(f"weekdays.{WEEKDAYS[local.weekday()]}", {}),
            month=self._format(f"months.{MONTHS[local.month - 1]}", {}),
            day=local.day,
            year=local.year,
        )
        parts = ("date", "full_date", "time") if "hour" in words else ("date", "full_date")
        for part in parts:
            words[part] = self._format(part, words)
        if style == "datetime":
            return self._format("datetime", words)
        return str(words[style])

    def _format(self, name: str, variables: Mapping[str, object]) -> str:
        key = f"formats.{name}"
        template = self.formats.get(key)
        if template is None:
            raise PromptLookupError(f"no prompt {key!r} in language {self.language!r}")
        return template.render(variables).strip()
