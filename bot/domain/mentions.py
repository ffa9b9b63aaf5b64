r"""Who and where a post names, and the private-use markers that hold them in its text.

A post's text never says "mention" in a syntax a platform would parse. It holds
markers, private-use characters the core alone writes:

- `\ue000N\ue001` stands for `Post.mentions[N]`, a member the core chose to name;
- `\ue006N\ue007` stands for `Post.channels[N]`, a channel the core chose to name;
- `\ue008N\ue009` stands for `Post.links[N]`, an address the core built itself
  from platform data (an invitation link), never from member text;
- `\ue004...\ue005` surrounds literal text: a value a template printed, member
  text above all, shown exactly as it is and never read as markup;
- `\ue002` and `\ue003` are reserved for the prompt renderer's own tokens.

Untrusted text loses every one of these characters (`strip_markers`) before it
reaches a post, so it can forge neither a mention nor the end of its literal run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MENTION_OPEN = "\ue000"
MENTION_CLOSE = "\ue001"
LITERAL_OPEN = "\ue004"
LITERAL_CLOSE = "\ue005"
CHANNEL_OPEN = "\ue006"
CHANNEL_CLOSE = "\ue007"
LINK_OPEN = "\ue008"
LINK_CLOSE = "\ue009"

RESERVED = frozenset(chr(code) for code in range(0xE000, 0xE00A))
"""Every private-use character the post format gives a meaning to."""

_RESERVED_CHARS = re.compile("[\ue000-\ue009]")
_SAFE_URL = re.compile(r"https?://[^\s<>\"\\`\x00-\x1f\x7f\ue000-\uf8ff]+")


@dataclass(frozen=True, kw_only=True, slots=True)
class Mention:
    """A member the core chose to name explicitly."""

    member_id: str
    display_name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelMention:
    """A channel the core chose to name: shown as a link where the platform has one.

    `name` is what a plain rendering shows after `#` (the console, a thread title,
    a channel id the platform does not know).
    """

    channel_id: str
    name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Link:
    """An address the core built from platform data, shown as a live link on every platform.

    Only the core makes one (an invitation link a platform returned); member text
    never becomes a `Link`, and a template's own `{{ ... }}` output stays inert.
    `label` is what the link shows (None: the address itself). Raises `ValueError`
    for anything but a plain http(s) address.
    """

    url: str
    label: str | None = None

    def __post_init__(self) -> None:
        """Refuse an address that is not a plain http(s) URL."""
        if _SAFE_URL.fullmatch(self.url) is None:
            raise ValueError(f"not a plain http(s) address: {self.url!r}")

    @property
    def shown(self) -> str:
        """Return what a plain rendering shows: the label, or the address."""
        return strip_markers(self.label) if self.label else self.url


def mention_marker(index: int) -> str:
    """Return the marker that stands for `Post.mentions[index]` in a post's text."""
    return f"{MENTION_OPEN}{index}{MENTION_CLOSE}"


def channel_marker(index: int) -> str:
    """Return the marker that stands for `Post.channels[index]` in a post's text."""
    return f"{CHANNEL_OPEN}{index}{CHANNEL_CLOSE}"


def link_marker(index: int) -> str:
    """Return the marker that stands for `Post.links[index]` in a post's text."""
    return f"{LINK_OPEN}{index}{LINK_CLOSE}"


def literal(text: str) -> str:
    """Return `text` as a literal run: shown as it is, never read as markup."""
    return f"{LITERAL_OPEN}{strip_markers(text)}{LITERAL_CLOSE}"


def strip_markers(text: str) -> str:
    """Remove every marker character (mentions, channels, links, literal runs) from text."""
    return _RESERVED_CHARS.sub("", text)
