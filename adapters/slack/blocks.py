"""Render the core's neutral `Post` as Slack messages: Block Kit `rich_text`, and buttons.

Why `rich_text` rather than `mrkdwn` or the `markdown` block:

- mrkdwn can escape only `&`, `<` and `>`. There is no escape for `*`, `_`, `~`
  or a backtick, so a member's `*x*` echoed in a poll would turn bold, and
  `**x**` (what templates write) shows its asterisks.
- The `markdown` block (standard Markdown, for AI apps' answers) runs the whole
  text through Slack's Markdown parser again: member text would need CommonMark
  escapes that Slack does not document, and members and channels are not typed.
- `rich_text` carries styles as objects on `text` elements, so a text element is
  shown as it is, by construction; members, channels and links are their own
  element types (`user`, `channel`, `link`). This is what Slack's own composer
  sends, and the one format where member text needs no escaping at all.

The notification fallback (`text`) is the plain text of the message with `&`,
`<` and `>` escaped, so it can never form `<!here>`, `<!channel>` or a mention.
A post longer than one message's text budget becomes several messages, split
between paragraphs (`bot.domain.markup.pack`), never cut. A choice becomes a
button (or an option of one select menu when there are many) whose
`action_id`/`value` is the stable choice id, so a click is routed without
remembering the message; choices go on the last message, with the post's member
picker (a `users_select` whose `action_id` is the picker's id) when it has one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Block, Choice, Post, Span
from bot.domain.markup import pack, plain, plain_line

log = logging.getLogger(__name__)

TEXT_LIMIT = 3000
"""The most text one message carries: Slack's section limit, well under its block budget."""

BLOCKS_LIMIT = 50
"""Slack's limit on blocks in one message."""

FALLBACK_LIMIT = 3000
"""How much of the text goes in the notification fallback (`text`)."""

LABEL_LIMIT = 75
"""Slack's limit on a button or option label."""

MAX_BUTTONS = 5
"""Up to this many choices show as buttons; more become one select menu."""

SELECT_ACTION = "terreau:select"
"""The `action_id` of the select menu; the picked option's value is the choice id."""

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_USER_ID = re.compile(r"[A-Z0-9]+")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


@dataclass(frozen=True, kw_only=True, slots=True)
class SlackMessage:
    """One `chat.postMessage`/`chat.update` body: fallback text and blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def arguments(self) -> dict[str, Any]:
        """Return the Web API arguments for this message."""
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Escape the three characters Slack gives a meaning to in message text."""
    return text.translate(_ESCAPES)


def render(post: Post) -> list[SlackMessage]:
    """Return the messages that show `post`: usually one; long text takes several.

    Choices go on the last message, so updating that message replaces them.
    """
    parts = pack(post.blocks(), lambda blocks: len(plain(blocks)), TEXT_LIMIT)
    actions = _actions(post.choices, post.member_picker)
    messages: list[SlackMessage] = []
    for index, blocks in enumerate(parts):
        shown: list[dict[str, Any]] = []
        if blocks:
            shown.append(rich_text(blocks))
        if actions and index == len(parts) - 1:
            shown.append(actions)
        messages.append(SlackMessage(text=_fallback(blocks), blocks=shown))
    if len(messages) > 1:
        log.info("a post of %d characters goes out as %d messages", len(post.text), len(messages))
    return messages


def rich_text(blocks: Sequence[Block]) -> dict[str, Any]:
    """Return one `rich_text` block: a section or a quote per paragraph, typed elements."""
    elements: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        inline: list[dict[str, Any]] = []
        for number, line in enumerate(block.lines):
            if number:
                inline.append(_text("\n"))
            inline.extend(_element(span) for span in line if span.text or span.mention)
        follows = index + 1 < len(blocks)
        if follows and not block.quote:
            inline.append(_text("\n"))
        elif index and blocks[index - 1].quote and not block.quote:
            inline.insert(0, _text("\n"))
        kind = "rich_text_quote" if block.quote else "rich_text_section"
        elements.append({"type": kind, "elements": _joined(inline) or [_text(" ")]})
    return {"type": "rich_text", "elements": elements}


def _element(span: Span) -> dict[str, Any]:
    element: dict[str, Any]
    if span.mention is not None and _USER_ID.fullmatch(span.mention.member_id):
        element = {"type": "user", "user_id": span.mention.member_id}
    elif span.channel is not None and _CHANNEL_ID.fullmatch(span.channel.channel_id):
        element = {"type": "channel", "channel_id": span.channel.channel_id}
    elif span.link is not None and not span.code:
        element = {"type": "link", "url": span.link, "text": span.text}
    else:
        element = _text(span.text)
    style = {
        name: True for name in ("bold", "italic", "strike", "code") if getattr(span, name, False)
    }
    if style:
        element["style"] = style
    return element


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _joined(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge neighbouring text elements of the same style (Slack shows them the same)."""
    joined: list[dict[str, Any]] = []
    for element in elements:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last["type"] == element["type"] == "text"
            and last.get("style") == element.get("style")
        ):
            joined[-1] = {**last, "text": last["text"] + element["text"]}
        else:
            joined.append(element)
    return joined


def _fallback(blocks: Sequence[Block]) -> str:
    """Return the notification text: escaped, with the chosen mentions as `<@U...>`."""
    paragraphs = []
    for block in blocks:
        prefix = "&gt; " if block.quote else ""
        paragraphs.append("\n".join(prefix + _fallback_line(line) for line in block.lines))
    escaped = "\n\n".join(paragraphs)
    if len(escaped) <= FALLBACK_LIMIT:
        return escaped
    return escaped[: _safe_cut(escaped, FALLBACK_LIMIT - 1)] + "…"


def _fallback_line(line: Sequence[Span]) -> str:
    parts = []
    for span in line:
        if span.mention is not None and _USER_ID.fullmatch(span.mention.member_id):
            parts.append(f"<@{span.mention.member_id}>")
        elif span.channel is not None and _CHANNEL_ID.fullmatch(span.channel.channel_id):
            parts.append(f"<#{span.channel.channel_id}>")
        else:
            parts.append(escape(plain_line((span,))))
    return "".join(parts)


def _safe_cut(text: str, limit: int) -> int:
    """Return where to cut escaped text so no `&amp;` or `<@U...>` is cut in half."""
    cut = limit
    amp = text.rfind("&", 0, cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    angle = text.rfind("<", 0, cut)
    if angle != -1 and ">" not in text[angle:cut]:
        cut = angle
    return cut


def _label(text: str) -> dict[str, Any]:
    shown = text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"
    return {"type": "plain_text", "text": shown or "?", "emoji": True}


def _actions(choices: tuple[Choice, ...], picker: Choice | None = None) -> dict[str, Any] | None:
    if not choices and picker is None:
        return None
    elements: list[dict[str, Any]]
    if not choices:
        elements = []
    elif len(choices) <= MAX_BUTTONS:
        elements = [
            {
                "type": "button",
                "action_id": choice.id,
                "value": choice.id,
                "text": _label(choice.label),
            }
            for choice in choices
        ]
    else:
        elements = [
            {
                "type": "static_select",
                "action_id": SELECT_ACTION,
                "options": [
                    {"text": _label(choice.label), "value": choice.id} for choice in choices[:100]
                ],
            }
        ]
        if len(choices) > 100:
            log.warning("a post has %d choices; Slack shows the first 100", len(choices))
    if picker is not None:
        # A pick comes back as `selected_user` (translate.py appends it to the id).
        elements.append(
            {"type": "users_select", "action_id": picker.id, "placeholder": _label(picker.label)}
        )
    return {"type": "actions", "block_id": "terreau:choices", "elements": elements}
