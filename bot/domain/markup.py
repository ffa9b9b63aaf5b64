r"""The markup of a post's text, parsed once into neutral blocks and spans for every platform.

Templates in `prompts/` write a small subset of Markdown, and nothing else is syntax:

    **bold**   *italic* or _italic_   ~~strike~~   `code`   [label](https://example.org)
    > a quoted line
    a blank line between paragraphs; a single line break is kept as one

Headings, lists, tables, HTML and bare-URL links are not syntax: `# x`, `1. x`,
`- x` and `<https://x>` show as typed (bullets are the `•` character). A
backslash shows the next punctuation character as itself (`\*`).

Literal runs (everything a template printed with `{{ ... }}`, member text above
all) are taken out before the parser runs and put back as plain text spans
afterwards, so whatever a member typed can never become bold, a link, a quote
or a code span, on any platform. The one live address that is not the
template's own is a `Link` the core built (see `Post.links`): it becomes a link
span, shown as its label or its address. markdown-it-py does the parsing, with
only the rules above switched on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.domain.mentions import (
    CHANNEL_CLOSE,
    CHANNEL_OPEN,
    LINK_CLOSE,
    LINK_OPEN,
    LITERAL_CLOSE,
    LITERAL_OPEN,
    MENTION_CLOSE,
    MENTION_OPEN,
    ChannelMention,
    Link,
    Mention,
    strip_markers,
)

log = logging.getLogger(__name__)


class Marked(Protocol):
    """What markup reads of a post: its text and the mentions it means."""

    @property
    def text(self) -> str:
        """Return the text, in the core's Markdown subset."""
        ...

    @property
    def mentions(self) -> tuple[Mention, ...]:
        """Return the members the text mentions."""
        ...

    @property
    def channels(self) -> tuple[ChannelMention, ...]:
        """Return the channels the text mentions."""
        ...

    @property
    def links(self) -> tuple[Link, ...]:
        """Return the addresses the core built that the text shows as links."""
        ...


_PARSER = MarkdownIt("zero", {"maxNesting": 20}).enable(
    ["blockquote", "newline", "escape", "backticks", "strikethrough", "emphasis", "link"]
)
_ANY_MARKER = re.compile("[\ue000-\ue009]")
_normalize_link = _PARSER.normalizeLink


def _keep_markers(url: str) -> str:
    """Leave an address holding a placeholder as it is, so the reader can refuse it."""
    return url if _ANY_MARKER.search(url) else _normalize_link(url)


_PARSER.normalizeLink = _keep_markers  # type: ignore[method-assign]
_RUN = re.compile(f"{LITERAL_OPEN}([^{LITERAL_OPEN}{LITERAL_CLOSE}]*){LITERAL_CLOSE}")
_STRAY = re.compile(f"[{LITERAL_OPEN}{LITERAL_CLOSE}]")
_PIECE = re.compile(
    rf"{LITERAL_OPEN}(?P<literal>\d+){LITERAL_CLOSE}"
    rf"|{MENTION_OPEN}(?P<mention>\d+){MENTION_CLOSE}"
    rf"|{CHANNEL_OPEN}(?P<channel>\d+){CHANNEL_CLOSE}"
    rf"|{LINK_OPEN}(?P<link>\d+){LINK_CLOSE}"
)
_STYLES = {"strong": "bold", "em": "italic", "s": "strike"}
_WORD = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True, kw_only=True, slots=True)
class Span:
    """A run of text with one style; a mention, a channel or a link when one is set.

    `text` is what a plain rendering shows: `@name` for a mention, `#name` for a
    channel, the label for a link.
    """

    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    link: str | None = None
    mention: Mention | None = None
    channel: ChannelMention | None = None

    def styled_like(self, other: Span) -> bool:
        """Tell whether both spans carry the same style and the same link."""
        return (self.bold, self.italic, self.strike, self.code, self.link) == (
            other.bold,
            other.italic,
            other.strike,
            other.code,
            other.link,
        )


Line = tuple[Span, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Block:
    """A paragraph (or a quoted paragraph): lines of spans."""

    lines: tuple[Line, ...]
    quote: bool = False


def parse(post: Marked) -> tuple[Block, ...]:
    """Return the blocks of a post's text, its markup read and its literal runs kept as text."""
    return _Reader(post).blocks()


def plain(blocks: Iterable[Block]) -> str:
    """Return blocks as plain text: code in backticks, quotes as `> `, links as `label (url)`."""
    paragraphs = []
    for block in blocks:
        prefix = "> " if block.quote else ""
        paragraphs.append("\n".join(prefix + plain_line(line) for line in block.lines))
    return "\n\n".join(paragraphs)


def plain_line(line: Line) -> str:
    """Return one line's spans as plain text."""
    parts = []
    for span in line:
        parts.append(f"`{span.text}`" if span.code else span.text)
        if span.link is not None and span.link != span.text:
            parts.append(f" ({span.link})")
    return "".join(parts)


Measure = Callable[[Sequence[Block]], int]
"""How long blocks are once rendered for one platform (in that platform's own units)."""


def pack(blocks: Sequence[Block], measure: Measure, limit: int) -> list[tuple[Block, ...]]:
    """Group blocks into messages that each measure at most `limit`, losing nothing.

    Messages break between paragraphs; a paragraph too long for one message breaks
    between its lines, and a line too long for one message between its words.
    """
    if measure(blocks) <= limit:
        return [tuple(blocks)]
    pieces = [piece for block in blocks for piece in _fit(block, measure, limit)]
    messages: list[tuple[Block, ...]] = []
    current: list[Block] = []
    for piece in pieces:
        if current and measure([*current, piece]) > limit:
            messages.append(tuple(current))
            current = []
        current.append(piece)
    if current or not messages:
        messages.append(tuple(current))
    return messages


def _fit(block: Block, measure: Measure, limit: int) -> Iterator[Block]:
    if measure([block]) <= limit:
        yield block
        return
    lines: list[Line] = []
    for line in block.lines:
        for part in _fit_line(line, block.quote, measure, limit):
            if lines and measure([Block(lines=(*lines, part), quote=block.quote)]) > limit:
                yield Block(lines=tuple(lines), quote=block.quote)
                lines = []
            lines.append(part)
    if lines:
        yield Block(lines=tuple(lines), quote=block.quote)


def _fit_line(line: Line, quote: bool, measure: Measure, limit: int) -> Iterator[Line]:
    def size(spans: Sequence[Span]) -> int:
        return measure([Block(lines=(tuple(spans),), quote=quote)])

    if size(line) <= limit:
        yield line
        return
    current: list[Span] = []
    for word in _words(line):
        if current and size([*current, word]) > limit:
            yield _merged(current)
            current = []
        if size([word]) > limit:
            yield from _cut(word, size, limit)
            continue
        current.append(word)
    if current:
        yield _merged(current)


def _words(line: Line) -> Iterator[Span]:
    for span in line:
        if span.mention is not None or span.channel is not None:
            yield span
            continue
        for match in _WORD.finditer(span.text):
            yield replace(span, text=match.group())


def _cut(span: Span, size: Callable[[Sequence[Span]], int], limit: int) -> Iterator[Line]:
    """Cut one word too long for a message into pieces that fit (a 5,000-letter name)."""
    rest = span.text
    while rest:
        low, high = 1, len(rest)
        while low < high:
            middle = (low + high + 1) // 2
            if size([replace(span, text=rest[:middle])]) <= limit:
                low = middle
            else:
                high = middle - 1
        yield (replace(span, text=rest[:low]),)
        rest = rest[low:]


def _styled(span: Span, name: str, on: bool) -> Span:
    if name == "bold":
        return replace(span, bold=on)
    if name == "italic":
        return replace(span, italic=on)
    return replace(span, strike=on)


def _merged(spans: Sequence[Span]) -> Line:
    merged: list[Span] = []
    for span in spans:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.mention is None
            and last.channel is None
            and span.mention is None
            and span.channel is None
            and last.styled_like(span)
        ):
            merged[-1] = replace(last, text=last.text + span.text)
        else:
            merged.append(span)
    return tuple(merged)


class _Reader:
    """One parse: literal runs held aside, markdown-it's tokens turned into blocks."""

    def __init__(self, post: Marked) -> None:
        self._mentions = post.mentions
        self._channels = post.channels
        self._links = post.links
        self._literals: list[str] = []
        self._source = self._hold_literals(post.text)

    def _hold_literals(self, text: str) -> str:
        parts: list[str] = []
        position = 0
        for match in _RUN.finditer(text):
            parts.append(_STRAY.sub("", text[position : match.start()]))
            self._literals.append(match.group(1))
            parts.append(f"{LITERAL_OPEN}{len(self._literals) - 1}{LITERAL_CLOSE}")
            position = match.end()
        parts.append(_STRAY.sub("", text[position:]))
        return "".join(parts)

    def blocks(self) -> tuple[Block, ...]:
        blocks: list[Block] = []
        depth = 0
        for token in _PARSER.parse(self._source):
            if token.type == "blockquote_open":
                depth += 1
            elif token.type == "blockquote_close":
                depth -= 1
            elif token.type == "inline":
                lines = self._inline(token.children or [])
                blocks.append(Block(lines=lines, quote=depth > 0))
        return tuple(blocks)

    def _inline(self, tokens: Sequence[Token]) -> tuple[Line, ...]:
        lines: list[list[Span]] = [[]]
        style = Span(text="")
        unsafe_href: str | None = None
        for token in tokens:
            kind = token.type
            if kind in ("softbreak", "hardbreak"):
                lines.append([])
            elif kind == "text":
                self._add(lines, token.content, style)
            elif kind == "code_inline":
                self._add(lines, token.content, replace(style, code=True), as_text=True)
            elif kind.endswith(("_open", "_close")) and kind.rsplit("_", 1)[0] in _STYLES:
                style = _styled(style, _STYLES[kind.rsplit("_", 1)[0]], kind.endswith("_open"))
            elif kind == "link_open":
                href = str(token.attrs.get("href", ""))
                if _ANY_MARKER.search(href):
                    # A link whose address a template printed from a variable is not a link.
                    unsafe_href = href
                else:
                    style = replace(style, link=href)
            elif kind == "link_close":
                style = replace(style, link=None)
                if unsafe_href is not None:
                    self._add(lines, f" ({unsafe_href})", style, as_text=True)
                    unsafe_href = None
            else:
                self._add(lines, token.content, style)
        return tuple(_merged(line) for line in lines)

    def _add(
        self, lines: list[list[Span]], text: str, style: Span, *, as_text: bool = False
    ) -> None:
        """Append `text` (placeholders and markers expanded) to the last line, breaking lines."""
        position = 0
        for match in _PIECE.finditer(text):
            self._add_text(lines, text[position : match.start()], style)
            if match.group("literal") is not None:
                self._add(
                    lines, self._literals[int(match.group("literal"))], style, as_text=as_text
                )
            elif match.group("mention") is not None:
                index = int(match.group("mention"))
                if index < len(self._mentions):
                    mention = self._mentions[index]
                    shown = f"@{strip_markers(mention.display_name)}"
                    span = replace(style, text=shown, mention=None if as_text else mention)
                    lines[-1].append(span)
            elif match.group("link") is not None:
                index = int(match.group("link"))
                if index < len(self._links):
                    link = self._links[index]
                    url = None if as_text else link.url
                    lines[-1].append(replace(style, text=link.shown, link=url))
            else:
                index = int(match.group("channel"))
                if index < len(self._channels):
                    channel = self._channels[index]
                    shown = f"#{strip_markers(channel.name)}"
                    span = replace(style, text=shown, channel=None if as_text else channel)
                    lines[-1].append(span)
            position = match.end()
        self._add_text(lines, text[position:], style)

    @staticmethod
    def _add_text(lines: list[list[Span]], text: str, style: Span) -> None:
        first, *rest = strip_markers(text).replace("\r\n", "\n").split("\n")
        if first:
            lines[-1].append(replace(style, text=first))
        for line in rest:
            lines.append([replace(style, text=line)] if line else [])
