"""Outgoing messages: the neutral `Post` every adapter renders its own way.

Mentions are never inferred from text. A post's text holds markers (private-use
characters around an index) and `Post.mentions` says who each marker names; an
adapter escapes every text segment and renders only those mentions. Member text
goes through `strip_markers` before it reaches a template, so it can never forge
a mention, let alone `@everyone`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_OPEN = "\ue000"
_CLOSE = "\ue001"
_MARKER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_MARKER_CHARS = re.compile(f"[{_OPEN}{_CLOSE}]")


def mention_marker(index: int) -> str:
    """Return the marker that stands for `Post.mentions[index]` in a post's text."""
    return f"{_OPEN}{index}{_CLOSE}"


def strip_markers(text: str) -> str:
    """Remove mention-marker characters from untrusted text."""
    return _MARKER_CHARS.sub("", text)


@dataclass(frozen=True, kw_only=True, slots=True)
class Mention:
    """A member the core chose to name explicitly."""

    member_id: str
    display_name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Choice:
    """A button or menu option; `id` is `feature:object:choice` and survives restarts."""

    id: str
    label: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Post:
    """A message the core wants shown: text, explicit mentions, choices, an image, a file.

    `image_path` is a picture shown with the message; `file_path` a document the
    member downloads (a data export, a report).
    """

    text: str
    mentions: tuple[Mention, ...] = ()
    choices: tuple[Choice, ...] = ()
    image_path: str | None = None
    thread_title: str | None = None
    file_path: str | None = None

    def segments(self) -> Iterator[str | Mention]:
        """Yield the text split into plain strings and the mentions between them."""
        position = 0
        for match in _MARKER.finditer(self.text):
            if match.start() > position:
                yield self.text[position : match.start()]
            index = int(match.group(1))
            if index < len(self.mentions):
                yield self.mentions[index]
            position = match.end()
        if position < len(self.text):
            yield self.text[position:]

    def plain_text(self) -> str:
        """Return the text with each mention shown as `@display name`."""
        return "".join(
            part if isinstance(part, str) else f"@{part.display_name}" for part in self.segments()
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SentMessage:
    """What a platform answered after a send: enough to update, thread or reply."""

    community: str
    channel_id: str
    message_id: str
    thread_id: str | None = None


def post_to_dict(post: Post) -> dict[str, object]:
    """Return a JSON-ready form of `post`, as the outbox stores it."""
    return {
        "text": post.text,
        "mentions": [[m.member_id, m.display_name] for m in post.mentions],
        "choices": [[c.id, c.label] for c in post.choices],
        "image_path": post.image_path,
        "thread_title": post.thread_title,
        "file_path": post.file_path,
    }


def post_from_dict(data: Mapping[str, Any]) -> Post:
    """Rebuild a post stored by `post_to_dict`."""
    return Post(
        text=str(data["text"]),
        mentions=tuple(Mention(member_id=i, display_name=n) for i, n in data.get("mentions", ())),
        choices=tuple(Choice(id=i, label=label) for i, label in data.get("choices", ())),
        image_path=data.get("image_path"),
        thread_title=data.get("thread_title"),
        file_path=data.get("file_path"),
    )
