"""Sandboxed rendering: one Jinja environment per language, mentions, literal runs, a guard.

Member-supplied values are only ever template variables, and whatever a template
prints with `{{ ... }}` is literal text: the renderer wraps it in a literal run
(see `bot.domain.mentions`), so a display name, a poll option or a reason can
never become bold, a link, a quote or a mention on any platform. Markup lives in
the template's own text. The exceptions are values the core made itself: a
`Mention`, a `ChannelMention` or a `Link` becomes an explicit reference of the
resulting `Post`, and a rendered `Post` passed as a variable keeps its markup.

Every marker the renderer writes while a template runs carries a per-render
random nonce, and every string variable loses its marker characters first, so
member text can neither forge a mention nor end its literal run early.

Member text keeps the layout around it: a value with line breaks printed on a line
of a list (`• `, `- `, `1. `) has its lines joined by " / ", and on a quoted line
(`> `) each of its lines stays in the quote. Elsewhere its lines are kept.

Plural forms follow the language's CLDR rules (Babel): `plural(count, one, other)`
picks `one` or `other`, and languages with more categories take them by name
(`few=...`, `many=...`, `two=...`, `zero=...`), falling back to `other`.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from jinja2 import StrictUndefined, Template, UndefinedError, nodes, pass_context
from jinja2.runtime import Context

from bot.domain import (
    ChannelMention,
    Link,
    Mention,
    Post,
    channel_marker,
    link_marker,
    mention_marker,
    strip_markers,
)
from bot.domain.mentions import (
    CHANNEL_CLOSE,
    CHANNEL_OPEN,
    LINK_CLOSE,
    LINK_OPEN,
    LITERAL_CLOSE,
    LITERAL_OPEN,
    MENTION_CLOSE,
    MENTION_OPEN,
)
from bot.prompts._budget import BUDGET, Budget, BudgetedSandbox, guard_loops, install
from bot.prompts._problems import PromptLookupError, RenderError

log = logging.getLogger(__name__)

_LITERAL_RUN = re.compile(f"{LITERAL_OPEN}[^{LITERAL_CLOSE}]*{LITERAL_CLOSE}")
_LIST_ITEM = re.compile(r"[ \t]*(?:[•*-]|\d+[.)])[ \t]")
_QUOTED = re.compile(r"[ \t]*>[ \t]?")
_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|[\n\r\u2028\u2029])\s*")
LINES_JOINED = " / "
"""What separates the lines of member text printed in a list item."""

DEFAULT_MAX_LENGTH = 20_000
"""A guard against runaway templates, not a message size: adapters split long posts."""
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
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")
REGISTRY = "__terreau_mentions__"
_REF_OPEN = "\ue002"
_REF_CLOSE = "\ue003"
_PARTIAL_MARKER = re.compile(f"[{MENTION_OPEN}{CHANNEL_OPEN}{LINK_OPEN}]\\d*$")
_WHITESPACE = re.compile(r"\s")
_POST_MARKERS = re.compile(
    f"{MENTION_OPEN}(?P<mention>\\d+){MENTION_CLOSE}"
    f"|{CHANNEL_OPEN}(?P<channel>\\d+){CHANNEL_CLOSE}"
    f"|{LINK_OPEN}(?P<link>\\d+){LINK_CLOSE}"
    f"|(?P<open>{LITERAL_OPEN})|(?P<close>{LITERAL_CLOSE})"
)


Reference = Mention | ChannelMention | Link
"""A value the core made that a post refers to explicitly, never shown as a literal run."""


class _Fragment(str):
    """A rendered post's text inside another render: the core's own markup, kept as markup."""

    __slots__ = ()


class _Registry:
    """The references and literal runs of one render, behind unguessable tokens."""

    def __init__(self) -> None:
        nonce = secrets.token_hex(8)
        self._prefix = f"{_REF_OPEN}{nonce}:"
        self.literal_open = f"{LITERAL_OPEN}{nonce}:"
        self.inner_pattern = re.compile(
            f"(?P<token>{_REF_OPEN}{nonce}:\\d+{_REF_CLOSE})|{LITERAL_OPEN}{nonce}:"
        )
        self.pattern = re.compile(
            f"{_REF_OPEN}{nonce}:(?P<ref>\\d+){_REF_CLOSE}"
            f"|(?P<open>{LITERAL_OPEN}{nonce}:)|(?P<close>{LITERAL_CLOSE})"
        )
        self.given: list[Reference] = []

    def token(self, reference: Reference) -> str:
        self.given.append(reference)
        return f"{self._prefix}{len(self.given) - 1}{_REF_CLOSE}"

    def literal(self, text: str) -> str:
        """Wrap printed text in a literal run, keeping only this render's reference tokens.

        Printed text that holds runs of its own (a fragment joined into a string)
        becomes one run: the markup between them is shown as text, never read.
        """
        parts: list[str] = []
        position = 0
        for match in self.inner_pattern.finditer(text):
            parts.append(strip_markers(text[position : match.start()]))
            parts.append(match.group("token") or "")
            position = match.end()
        parts.append(strip_markers(text[position:]))
        return f"{self.literal_open}{''.join(parts)}{LITERAL_CLOSE}"

    def fragment(self, post: Post) -> _Fragment:
        """Return a rendered post's text with its markers turned into this render's tokens."""
        parts: list[str] = []
        position = 0
        for match in _POST_MARKERS.finditer(post.text):
            parts.append(strip_markers(post.text[position : match.start()]))
            if match.group("mention") is not None:
                index = int(match.group("mention"))
                if index < len(post.mentions):
                    parts.append(self.token(post.mentions[index]))
            elif match.group("channel") is not None:
                index = int(match.group("channel"))
                if index < len(post.channels):
                    parts.append(self.token(post.channels[index]))
            elif match.group("link") is not None:
                index = int(match.group("link"))
                if index < len(post.links):
                    parts.append(self.token(post.links[index]))
            elif match.group("open") is not None:
                parts.append(self.literal_open)
            else:
                parts.append(LITERAL_CLOSE)
            position = match.end()
        parts.append(strip_markers(post.text[position:]))
        return _Fragment("".join(parts))


def _prepare(value: object, registry: _Registry) -> object:
    if isinstance(value, str):
        return strip_markers(value)
    if isinstance(value, Reference):
        return registry.token(value)
    if isinstance(value, Post):
        return registry.fragment(value)
    if isinstance(value, list | tuple):
        return tuple(_prepare(item, registry) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(_prepare(item, registry) for item in value)
    if isinstance(value, Mapping):
        return {_prepare(name, registry): _prepare(item, registry) for name, item in value.items()}
    return value


@pass_context
def _finalize(context: Context, value: object) -> object:
    """Turn what a `{{ ... }}` produced into text: a literal run, a reference or a fragment."""
    if value is None:
        return ""
    registry = context.get(REGISTRY)
    if not isinstance(registry, _Registry):
        # A date format: plain words, no post around them.
        if isinstance(value, Mention):
            return f"@{strip_markers(value.display_name)}"
        if isinstance(value, Link):
            return value.shown
        if isinstance(value, list | tuple):
            return ", ".join(str(_finalize(context, item)) for item in value)
        return value
    if isinstance(value, _Fragment):
        return value
    if isinstance(value, Reference):
        return registry.token(value)
    if isinstance(value, Post):
        return registry.fragment(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(_finalize(context, item)) for item in value)
    return registry.literal(str(value))


def _keep_layout(text: str) -> str:
    """Keep member text with line breaks from breaking the list item or quote it is printed in."""
    if _LINE_BREAKS.search(text) is None:
        return text
    parts: list[str] = []
    line = ""
    """The template's text since its last line break (member text's own breaks aside)."""
    position = 0
    for run in _LITERAL_RUN.finditer(text):
        between = text[position : run.start()]
        parts.append(between)
        line = between[between.rfind("\n") + 1 :] if "\n" in between else line + between
        position = run.end()
        inner = run.group()[1:-1]
        shown = line.replace(LITERAL_OPEN, "").replace(LITERAL_CLOSE, "")  # `{{ n }}. ` counts
        quote = _QUOTED.match(shown)
        if _LINE_BREAKS.search(inner) is None:
            parts.append(run.group())
        elif _LIST_ITEM.match(shown):
            parts.append(
                f"{LITERAL_OPEN}{_LINE_BREAKS.sub(LINES_JOINED, inner.strip())}{LITERAL_CLOSE}"
            )
        elif quote:
            lines = _LINE_BREAKS.split(inner.strip())
            joint = f"{LITERAL_CLOSE}\n{quote.group()}{LITERAL_OPEN}"
            parts.append(f"{LITERAL_OPEN}{joint.join(lines)}{LITERAL_CLOSE}")
        else:
            parts.append(run.group())
        line += run.group()
    parts.append(text[position:])
    return "".join(parts)


def _plural_rule(language: str) -> Callable[..., object]:
    """Return the template function `plural(count, one, other, **forms)` for `language`."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"no CLDR plural rules for language {language!r}") from exc

    def plural(count: object, one: object, other: object, **forms: object) -> object:
        unknown = set(forms) - set(PLURAL_CATEGORIES)
        if unknown:
            raise TypeError(
                f"plural() takes forms named {', '.join(PLURAL_CATEGORIES)}, "
                f"not {', '.join(sorted(unknown))}"
            )
        if not isinstance(count, int | float) or isinstance(count, bool):
            raise TypeError(f"plural() counts a number, not {type(count).__name__}")
        category = locale.plural_form(abs(count))
        if category == "one":
            return one
        return forms.get(category, other)

    return plural


def _zone(timezone: str | tzinfo) -> tzinfo:
    if not isinstance(timezone, str):
        return timezone
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {timezone!r}") from exc


def cap(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters on a word boundary, ending with '…'.

    A cut never leaves half a marker, and closes a literal run it cut into.
    """
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    boundaries = [match.start() for match in _WHITESPACE.finditer(head)]
    end = boundaries[-1] if boundaries and boundaries[-1] >= limit // 2 else limit - 2
    cut = _PARTIAL_MARKER.sub("", text[:end]).rstrip()
    if cut.rfind(LITERAL_OPEN) > cut.rfind(LITERAL_CLOSE):
        cut += LITERAL_CLOSE
    return f"{cut}{ELLIPSIS}"


class Renderer:
    """One language's sandboxed environment and the render path every prompt takes."""

    def __init__(self, language: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.language = language
        self.max_length = max_length
        self.formats: dict[str, Template] = {}
        plural = _plural_rule(language)
        env = BudgetedSandbox(
            undefined=StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals["plural"] = plural
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
        registry = _Registry()
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

    def _assemble(self, raw: str, registry: _Registry) -> Post:
        parts: list[str] = []
        mentions: list[Mention] = []
        channels: list[ChannelMention] = []
        links: list[Link] = []
        index: dict[Reference, int] = {}
        depth = 0
        position = 0
        for match in registry.pattern.finditer(raw):
            parts.append(strip_markers(raw[position : match.start()]))
            position = match.end()
            if match.group("open") is not None:
                if depth == 0:
                    parts.append(LITERAL_OPEN)
                depth += 1
            elif match.group("close") is not None:
                if depth == 1:
                    parts.append(LITERAL_CLOSE)
                depth = max(depth - 1, 0)
            else:
                reference = registry.given[int(match.group("ref"))]
                if isinstance(reference, Mention):
                    if reference not in index:
                        index[reference] = len(mentions)
                        mentions.append(reference)
                    parts.append(mention_marker(index[reference]))
                elif isinstance(reference, Link):
                    if reference not in index:
                        index[reference] = len(links)
                        links.append(reference)
                    parts.append(link_marker(index[reference]))
                else:
                    if reference not in index:
                        index[reference] = len(channels)
                        channels.append(reference)
                    parts.append(channel_marker(index[reference]))
        parts.append(strip_markers(raw[position:]))
        if depth > 0:
            parts.append(LITERAL_CLOSE)
        text = _keep_layout("".join(parts))
        if len(text) > self.max_length:
            log.warning(
                "prompt text of %d characters cut to the %d-character guard",
                len(text),
                self.max_length,
            )
            text = cap(text, self.max_length)
        # References are numbered by first appearance, so a cut keeps a prefix of them.
        whole = Post(
            text=text, mentions=tuple(mentions), channels=tuple(channels), links=tuple(links)
        )
        shown = list(whole.segments())
        kept_mentions = len({part for part in shown if isinstance(part, Mention)})
        kept_channels = len({part for part in shown if isinstance(part, ChannelMention)})
        kept_links = len({part for part in shown if isinstance(part, Link)})
        return Post(
            text=text,
            mentions=tuple(mentions[:kept_mentions]),
            channels=tuple(channels[:kept_channels]),
            links=tuple(links[:kept_links]),
        )

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
