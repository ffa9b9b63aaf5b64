"""Render the core's neutral `Post` as Slack messages: mrkdwn text and Block Kit.

Member text is escaped (`&`, `<`, `>`) so it can never form `<!here>`,
`<!channel>`, `<!everyone>` or a user mention; the only mentions rendered are
the `Post.mentions` the core chose, as `<@U...>`. A choice becomes a button (or
an option of one select menu when there are many) whose `action_id`/`value` is
the stable choice id, so a click is routed without remembering the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Choice, Mention, Post

log = logging.getLogger(__name__)

SECTION_LIMIT = 3000
"""Slack's limit on the text of one section block."""

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


def mrkdwn(post: Post) -> str:
    """Return the post's text as escaped mrkdwn with its chosen mentions as `<@U...>`."""
    return "".join(
        escape(part) if isinstance(part, str) else _mention(part) for part in post.segments()
    )


def _mention(mention: Mention) -> str:
    member_id = mention.member_id
    if not member_id.isalnum():
        # Not a Slack user id: show the name, escaped, rather than forge markup.
        return escape(f"@{mention.display_name}")
    return f"<@{member_id}>"


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split text into pieces of at most `limit` characters, at line breaks or spaces if possible.

    A piece never ends inside an escape (`&amp;`) or a mention (`<@U123>`).
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = _safe_cut(rest, limit)
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _safe_cut(text: str, limit: int) -> int:
    cut = limit
    amp = text.rfind("&", 0, cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    angle = text.rfind("<", 0, cut)
    if angle != -1 and ">" not in text[angle:cut]:
        cut = angle
    return cut if cut > 0 else limit


def render(post: Post) -> list[SlackMessage]:
    """Return the messages that show `post`: usually one; very long text takes several.

    Choices go on the last message, so updating that message replaces them.
    """
    sections = [_section(piece) for piece in split_text(mrkdwn(post))]
    actions = _actions(post.choices)
    room = BLOCKS_LIMIT - (1 if actions else 0)
    batches = [sections[i : i + room] for i in range(0, len(sections), room)] or [[]]
    messages: list[SlackMessage] = []
    for index, batch in enumerate(batches):
        blocks = list(batch)
        if actions and index == len(batches) - 1:
            blocks.append(actions)
        fallback = batch[0]["text"]["text"] if batch else ""
        messages.append(SlackMessage(text=_fallback(fallback), blocks=blocks))
    return messages


def _fallback(text: str) -> str:
    if len(text) <= FALLBACK_LIMIT:
        return text
    return text[: _safe_cut(text, FALLBACK_LIMIT - 1)] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}


def _label(text: str) -> dict[str, Any]:
    shown = text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"
    return {"type": "plain_text", "text": shown or "?", "emoji": True}


def _actions(choices: tuple[Choice, ...]) -> dict[str, Any] | None:
    if not choices:
        return None
    elements: list[dict[str, Any]]
    if len(choices) <= MAX_BUTTONS:
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
    return {"type": "actions", "block_id": "terreau:choices", "elements": elements}
