"""Outgoing messages: the neutral `Post` every adapter renders its own way.

A post's text is a small Markdown subset (see `bot.domain.markup`) holding markers
for the members and channels it names and around its literal runs (see
`bot.domain.mentions`). Mentions are never inferred from text: `Post.mentions`
and `Post.channels` say what each marker names, and an adapter renders only
those; so does `Post.links` for the addresses the core built itself (an
invitation link), the only live links besides those a template writes. Member
text reaches a post only as a literal run, stripped of marker characters, so it
can neither forge a mention nor become markup.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain import markup
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
)

_MARKER = re.compile(
    f"{MENTION_OPEN}(?P<mention>\\d+){MENTION_CLOSE}|{CHANNEL_OPEN}(?P<channel>\\d+){CHANNEL_CLOSE}"
    f"|{LINK_OPEN}(?P<link>\\d+){LINK_CLOSE}"
)
_LITERAL_EDGES = re.compile(f"[{LITERAL_OPEN}{LITERAL_CLOSE}]")


@dataclass(frozen=True, kw_only=True, slots=True)
class Choice:
    """A button or menu option; `id` is `feature:object:choice` and survives restarts."""

    id: str
    label: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Post:
    """A message the core wants shown: text, explicit mentions, choices, an image, a file.

    `image_path` is a picture shown with the message; `file_path` a document the
    member downloads (a data export, a report). `member_picker` is a menu of the
    community's members where the platform has one (Slack's users select): a pick
    comes back as a `ChoiceMade` whose id is the picker's id, `:`, the member's id.
    Platforms without one show nothing of it, so the text says the other way.
    """

    text: str
    mentions: tuple[Mention, ...] = ()
    channels: tuple[ChannelMention, ...] = ()
    links: tuple[Link, ...] = ()
    choices: tuple[Choice, ...] = ()
    image_path: str | None = None
    thread_title: str | None = None
    file_path: str | None = None
    member_picker: Choice | None = None

    def segments(self) -> Iterator[str | Mention | ChannelMention | Link]:
        """Yield the text (markup unread, literal runs unmarked), its mentions and links."""
        text = _LITERAL_EDGES.sub("", self.text)
        position = 0
        for match in _MARKER.finditer(text):
            if match.start() > position:
                yield text[position : match.start()]
            if match.group("mention") is not None:
                index = int(match.group("mention"))
                if index < len(self.mentions):
                    yield self.mentions[index]
            elif match.group("link") is not None:
                index = int(match.group("link"))
                if index < len(self.links):
                    yield self.links[index]
            else:
                index = int(match.group("channel"))
                if index < len(self.channels):
                    yield self.channels[index]
            position = match.end()
        if position < len(text):
            yield text[position:]

    def blocks(self) -> tuple[markup.Block, ...]:
        """Return the text's paragraphs and styled spans, as every adapter renders them."""
        return markup.parse(self)

    def plain_text(self) -> str:
        """Return the text without markup: mentions as `@name`, channels as `#name`."""
        return markup.plain(self.blocks())

    def followed_by(self, other: Post) -> Post:
        """Return this post with `other`'s text as a last paragraph, naming whom it names."""
        mentions, channels, links = len(self.mentions), len(self.channels), len(self.links)

        def renumber(match: re.Match[str]) -> str:
            if match.group("mention") is not None:
                return f"{MENTION_OPEN}{int(match['mention']) + mentions}{MENTION_CLOSE}"
            if match.group("link") is not None:
                return f"{LINK_OPEN}{int(match['link']) + links}{LINK_CLOSE}"
            return f"{CHANNEL_OPEN}{int(match['channel']) + channels}{CHANNEL_CLOSE}"

        return dataclasses.replace(
            self,
            text=f"{self.text}\n\n{_MARKER.sub(renumber, other.text)}",
            mentions=self.mentions + other.mentions,
            channels=self.channels + other.channels,
            links=self.links + other.links,
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
        "channels": [[c.channel_id, c.name] for c in post.channels],
        "links": [[link.url, link.label] for link in post.links],
        "choices": [[c.id, c.label] for c in post.choices],
        "image_path": post.image_path,
        "thread_title": post.thread_title,
        "file_path": post.file_path,
        "member_picker": None
        if post.member_picker is None
        else [post.member_picker.id, post.member_picker.label],
    }


def post_from_dict(data: Mapping[str, Any]) -> Post:
    """Rebuild a post stored by `post_to_dict`."""
    return Post(
        text=str(data["text"]),
        mentions=tuple(Mention(member_id=i, display_name=n) for i, n in data.get("mentions", ())),
        channels=tuple(ChannelMention(channel_id=i, name=n) for i, n in data.get("channels", ())),
        links=tuple(Link(url=u, label=label) for u, label in data.get("links", ())),
        choices=tuple(Choice(id=i, label=label) for i, label in data.get("choices", ())),
        image_path=data.get("image_path"),
        thread_title=data.get("thread_title"),
        file_path=data.get("file_path"),
        member_picker=None
        if data.get("member_picker") is None
        else Choice(id=data["member_picker"][0], label=data["member_picker"][1]),
    )
