"""A neutral `Post` as Discord message parts: content, allowed mentions, view, nonce."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.views import build_view
from bot.domain import Post

log = logging.getLogger(__name__)

MAX_CONTENT = 2000
NONCE_LENGTH = 25


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


def render(post: Post) -> Rendered:
    """Render a post: text escaped, only the core's mentions live, choices as a view.

    `AllowedMentions.none()` is the base: nothing in the text can ping anyone,
    `@everyone`, `@here` and roles included; the members the core named are then
    allowed one by one.
    """
    parts: list[str] = []
    users: list[discord.Object] = []
    for segment in post.segments():
        if isinstance(segment, str):
            parts.append(discord.utils.escape_mentions(segment))
        elif segment.member_id.isdecimal():
            parts.append(f"<@{segment.member_id}>")
            users.append(discord.Object(id=int(segment.member_id)))
        else:
            parts.append(f"@{discord.utils.escape_mentions(segment.display_name)}")
    content = "".join(parts)
    if len(content) > MAX_CONTENT:
        log.warning("post of %d characters cut to Discord's %d", len(content), MAX_CONTENT)
        content = content[: MAX_CONTENT - 1] + "…"
    allowed = discord.AllowedMentions.none()
    if users:
        allowed.users = users
    return Rendered(content=content or "\u200b", allowed_mentions=allowed, view=build_view(post))


def discord_nonce(nonce: str) -> str:
    """Return a Discord nonce (25 characters at most) standing for the outbox's nonce."""
    return hashlib.sha256(nonce.encode()).hexdigest()[:NONCE_LENGTH]
