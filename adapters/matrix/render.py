"""Render the core's neutral `Post` as a Matrix `m.room.message` content.

A message has two bodies: `body`, plain text, and `formatted_body`, HTML
(`format: org.matrix.custom.html`). Every piece of text goes into the HTML
through `html.escape`, so a member's `<b>`, `<a href>` or `<img>` shows as
typed; only the styles the core's markup parsed (bold, italic, strike, code,
quotes, template links) become tags. Mentions are never inferred from text:
`m.mentions` (Matrix's intentional mentions) lists exactly the members the post
names, and never `room`, so a member's `@room` typed into a poll question pings
nobody; the HTML shows those members as matrix.to pills.

Matrix has no buttons. A post's choices are listed under its text, numbered
with keycap emoji (1️⃣ … 🔟), and the adapter reacts to its own message with
each keycap, so a member picks a choice by clicking that reaction; a reply
holding the number works too (and is the only way past ten choices). The
choice ids travel in the message content (`org.terreau.choices`), so a click is
routed from the message alone, after any restart, as on the other platforms.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from adapters.matrix.translate import HTML_FORMAT
from bot.domain import Block, Choice, Post, Span
from bot.domain.markup import plain
from bot.domain.mentions import LITERAL_CLOSE, LITERAL_OPEN

log = logging.getLogger(__name__)

CHOICES_KEY = "org.terreau.choices"
"""Content key holding a message's choice ids, in order (choice n is keycap n)."""
NONCE_KEY = "org.terreau.nonce"
"""Content key holding the outbox nonce of a post (also its transaction id)."""
COMMUNITY_KEY = "org.terreau.community"
"""Content key naming the community a message speaks for (direct rooms serve several)."""

KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
"""The reactions that stand for choices 1 to 10."""

_MATRIX_TO = "https://matrix.to/#/"
SLASH_COMMAND = "/terreau"
DEFAULT_COMMAND = "!terreau"
_SLASH = re.compile(r"(?<![\w/])/terreau\b")
_LITERAL_RUN = re.compile(f"{LITERAL_OPEN}[^{LITERAL_CLOSE}]*{LITERAL_CLOSE}")


def choice_number(key: str) -> int | None:
    """Return the choice a reaction key or a reply's text names (1-based), or None."""
    text = key.strip()
    if text in KEYCAPS:
        return KEYCAPS.index(text) + 1
    text = text.removeprefix("#").rstrip(".")
    if text.isdecimal() and len(text) <= 3 and int(text) > 0:
        return int(text)
    return None


def render(
    post: Post, *, community: str, nonce: str | None = None, command: str = DEFAULT_COMMAND
) -> dict[str, Any]:
    """Return the `m.room.message` content showing `post`.

    Prompts name commands `/terreau ...`; Matrix clients keep `/` for their own
    commands, so Terreau's text shows them with the configured prefix (`!terreau`).
    Member text (the post's literal runs) is left as typed.
    """
    if command != SLASH_COMMAND:
        post = dataclasses.replace(post, text=_commands_as(post.text, command))
    blocks = post.blocks()
    body = plain(blocks)
    formatted = _html(blocks)
    if post.choices:
        body, formatted = _with_choices(body, formatted, post.choices)
    content: dict[str, Any] = {
        "msgtype": "m.text",
        "body": body,
        "format": HTML_FORMAT,
        "formatted_body": formatted,
        "m.mentions": {"user_ids": list(dict.fromkeys(m.member_id for m in post.mentions))},
        COMMUNITY_KEY: community,
    }
    if post.choices:
        content[CHOICES_KEY] = [choice.id for choice in post.choices]
    if nonce is not None:
        content[NONCE_KEY] = nonce
    return content


def _commands_as(text: str, command: str) -> str:
    parts = []
    position = 0
    for run in _LITERAL_RUN.finditer(text):
        parts.append(_SLASH.sub(lambda _: command, text[position : run.start()]))
        parts.append(run.group())
        position = run.end()
    parts.append(_SLASH.sub(lambda _: command, text[position:]))
    return "".join(parts)


def edit(original_event_id: str, content: dict[str, Any]) -> dict[str, Any]:
    """Return the content replacing a message (`m.replace`); nobody is mentioned again."""
    new_content = {key: value for key, value in content.items() if key != NONCE_KEY}
    return {
        "msgtype": content["msgtype"],
        "body": f"* {content['body']}",
        "format": HTML_FORMAT,
        "formatted_body": f"* {content['formatted_body']}",
        "m.mentions": {},
        "m.new_content": new_content,
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_event_id},
        COMMUNITY_KEY: content[COMMUNITY_KEY],
    }


def in_thread(content: dict[str, Any], thread_id: str) -> dict[str, Any]:
    """Return `content` posted in the thread rooted at `thread_id` (`m.thread`)."""
    return {
        **content,
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": thread_id,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": thread_id},
        },
    }


def _with_choices(body: str, formatted: str, choices: Sequence[Choice]) -> tuple[str, str]:
    plain_lines = []
    html_items = []
    for number, choice in enumerate(choices, start=1):
        mark = KEYCAPS[number - 1] if number <= len(KEYCAPS) else f"{number}."
        plain_lines.append(f"{mark} {choice.label}")
        html_items.append(f"{mark} {html.escape(choice.label)}")
    body = "\n\n".join(part for part in (body, "\n".join(plain_lines)) if part)
    listed = "<br>".join(html_items)
    formatted = "".join(part for part in (formatted, f"<p>{listed}</p>") if part)
    return body, formatted


def _html(blocks: Sequence[Block]) -> str:
    parts = []
    for block in blocks:
        inner = "<br>".join("".join(_span(span) for span in line) for line in block.lines)
        parts.append(f"<blockquote>{inner}</blockquote>" if block.quote else f"<p>{inner}</p>")
    return "".join(parts)


def _span(span: Span) -> str:
    if span.mention is not None:
        target = _MATRIX_TO + quote(span.mention.member_id, safe="@:")
        text = f'<a href="{html.escape(target)}">{html.escape(span.text)}</a>'
    elif span.channel is not None:
        target = _MATRIX_TO + quote(span.channel.channel_id, safe="!:")
        text = f'<a href="{html.escape(target)}">{html.escape(span.text)}</a>'
    else:
        text = html.escape(span.text)
        if span.code:
            text = f"<code>{text}</code>"
        if span.link is not None and not span.code:
            text = f'<a href="{html.escape(span.link)}">{text}</a>'
    if span.bold:
        text = f"<strong>{text}</strong>"
    if span.italic:
        text = f"<em>{text}</em>"
    if span.strike:
        text = f"<del>{text}</del>"
    return text
