r"""A neutral `Post` as Discord messages: content, allowed mentions, view, nonce.

This is the one place Discord Markdown is written. The post's blocks (see
`bot.domain.markup`) come with their styles already read, so every piece of text
is escaped here, template words and member text alike, and the only markup in a
message is what this module adds: `**bold**`, `*italic*`, `~~strike~~`, code,
`[label](url)` for a link a template wrote or the core built (`Post.links`;
an address shown as itself goes out bare, so Discord links it), `> ` quotes, `<@id>` and `<#id>` for
the members and channels the core named.

Escaping is unconditional: a backslash goes before every `\ * _ ~ | `` ` `` `<`
`[` `]`, before `#`, `>`, `-`, `+` and a list number's dot at the start of a line,
and before the colon of `://` (so a member's address is shown, never a live or
masked link). Discord shows a backslashed punctuation character as itself.
`discord.utils.escape_markdown` escapes `*` or `_` only when a second one follows
in the same string, which is not enough once its output sits next to the `**`
added here. `discord.utils.escape_mentions` then breaks `@everyone`, `@here` and
raw user or role ids, and `AllowedMentions.none()` plus the chosen users is the
base of every message: nothing in the text can ping anyone the core did not name.

A post longer than Discord's 2,000 characters becomes several messages, split
between paragraphs (`bot.domain.markup.pack`); buttons and the image go on the
last one.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.views import build_view
from bot.domain import Block, Post, Span
from bot.domain.markup import pack

log = logging.getLogger(__name__)

MAX_CONTENT = 2000
NONCE_LENGTH = 25

_ALWAYS = re.compile(r"([\\*_~|`<\[\]])")
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+(?=\.))")
_URL_COLON = re.compile(r":(?=//)")
_MARKERS = {"strike": "~~", "bold": "**", "italic": "*"}
_WHITESPACE = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)
_BARE_URL = re.compile(r"https?://[A-Za-z0-9._~/?#=&%+-]*[A-Za-z0-9/]")


@dataclass(frozen=True, slots=True)
class Rendered:
    """What `Messageable.send` and interaction responses take."""

    content: str
    allowed_mentions: discord.AllowedMentions
    view: discord.ui.View | None

    def kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments for a send or a response."""
        values: dict[str, Any] = {
            "content": self.content,
            "allowed_mentions": self.allowed_mentions,
        }
        if self.view is not None:
            values["view"] = self.view
        return values


def render(post: Post) -> list[Rendered]:
    """Render a post as one message, or several when it is longer than Discord allows.

    Only the core's mentions are live, one by one; the choices become a view on
    the last message.
    """
    parts = pack(post.blocks(), lambda blocks: len(content(blocks)), MAX_CONTENT)
    rendered: list[Rendered] = []
    for index, blocks in enumerate(parts):
        allowed = discord.AllowedMentions.none()
        users = _users(blocks)
        if users:
            allowed.users = users
        last = index == len(parts) - 1
        rendered.append(
            Rendered(
                content=content(blocks) or "\u200b",
                allowed_mentions=allowed,
                view=build_view(post) if last else None,
            )
        )
    if len(rendered) > 1:
        log.info("a post of %d characters goes out as %d messages", len(post.text), len(rendered))
    return rendered


def content(blocks: Sequence[Block]) -> str:
    """Return blocks as Discord Markdown: paragraphs apart, quotes with `> `."""
    paragraphs = []
    for block in blocks:
        lines = [_line(line) for line in block.lines]
        if block.quote:
            lines = [f"> {line}" for line in lines]
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def escape(text: str, *, line_start: bool = False) -> str:
    """Escape text so Discord shows it exactly, mentions and links included."""
    escaped = _ALWAYS.sub(r"\\\1", text)
    escaped = _URL_COLON.sub(r"\\:", escaped)
    if line_start:
        escaped = _LINE_START.sub(_escape_line_start, escaped)
    return discord.utils.escape_mentions(escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    spaces, mark = match.group(1), match.group(2)
    if mark[0].isdigit():
        return f"{spaces}{mark}\\"
    return f"{spaces}\\{mark}"


def _line(spans: Sequence[Span]) -> str:
    """Render one line, opening and closing styles around runs of the same style.

    Styles open in a fixed order and close in reverse, and whitespace at the edge
    of a styled run goes outside its markers (`** x**` is not bold on Discord).
    """
    wanted = [[name for name in _MARKERS if getattr(span, name)] for span in spans]
    out: list[str] = []
    opened: list[str] = []
    for position, span in enumerate(spans):
        piece = _piece(span, line_start=position == 0)
        lead, body, trail = _WHITESPACE.match(piece).groups()  # type: ignore[union-attr]
        if not body:
            lead, trail = "", lead + trail
        else:
            _close_from(out, opened, _kept(opened, wanted[position]))
        out.append(lead)
        for name in wanted[position]:
            if name not in opened and body:
                out.append(_MARKERS[name])
                opened.append(name)
        out.append(body)
        if trail:
            following = wanted[position + 1] if position + 1 < len(spans) else []
            _close_from(out, opened, _kept(opened, following))
            out.append(trail)
    _close(out, opened)
    return "".join(out)


def _kept(opened: Sequence[str], wanted: Sequence[str]) -> int:
    """Return how many of the open styles (from the outermost) stay open."""
    keep = 0
    while keep < len(opened) and opened[keep] in wanted:
        keep += 1
    return keep


def _close_from(out: list[str], opened: list[str], keep: int) -> None:
    _close(out, opened[keep:])
    del opened[keep:]


def _close(out: list[str], names: Sequence[str]) -> None:
    out.extend(_MARKERS[name] for name in reversed(names))


def _piece(span: Span, *, line_start: bool) -> str:
    if span.mention is not None:
        member_id = span.mention.member_id
        if member_id.isdecimal():
            return f"<@{member_id}>"
        return escape(span.text, line_start=line_start)
    if span.channel is not None:
        channel_id = span.channel.channel_id
        if channel_id.isdecimal():
            return f"<#{channel_id}>"
        return escape(span.text, line_start=line_start)
    if span.code:
        return _code(span.text)
    if span.link is not None and span.link == span.text:
        # An address shown as itself: Discord links a bare one, or one in angle brackets.
        return span.link if _BARE_URL.fullmatch(span.link) else f"<{_quoted(span.link)}>"
    text = escape(span.text, line_start=line_start)
    if span.link is not None:
        return f"[{text}]({_quoted(span.link)})"
    return text


def _quoted(url: str) -> str:
    """Return an address with the characters that would end it in Markdown percent-encoded."""
    return url.replace(")", "%29").replace(" ", "%20").replace(">", "%3E")


def _code(text: str) -> str:
    """Return text as inline code, with a fence longer than any backtick run inside."""
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _users(blocks: Sequence[Block]) -> list[discord.Object]:
    seen: dict[int, discord.Object] = {}
    for block in blocks:
        for line in block.lines:
            for span in line:
                if span.mention is not None and span.mention.member_id.isdecimal():
                    member_id = int(span.mention.member_id)
                    seen.setdefault(member_id, discord.Object(id=member_id))
    return list(seen.values())


def discord_nonce(nonce: str) -> str:
    """Return a Discord nonce (25 characters at most) standing for the outbox's nonce."""
    return hashlib.sha256(nonce.encode()).hexdigest()[:NONCE_LENGTH]
