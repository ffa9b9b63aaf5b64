"""Finding a post Discord already holds, after a send whose answer was never recorded.

Discord keeps a message's nonce only for a while: `enforce_nonce` (which discord.py
sets whenever a nonce is given) drops a repeated send for a few minutes, and a
message fetched later carries no nonce at all; Discord does not store it with the
message (discord.py documents `Message.nonce` as "not stored long term", and
Rapptz/discord.py#2451 found it absent from fetched messages). So the nonce cannot
tell, after a restart, whether a post went out.

What a fetched message does keep is its author, its creation time (in its
snowflake id), its content and its components, and Discord returns the content
and components of the bot's own messages even without the Message Content
intent. A post is found as a message of the bot's, created since the first
attempt, whose content is the post's rendered content and whose components carry
the post's choice ids. Two queued posts can render the same (the same notice twice
in a channel): each match is returned, oldest first, and the outbox gives each
of its rows a message no other row already stands for, so a copy is never taken
for another's and a missing one is still sent. Listing messages needs the Read
Message History permission; without it Discord returns an empty list, and the post
is sent again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import discord

from adapters.discord.render import render
from bot.domain import Post

LOOK_AHEAD = 200
"""How many messages after the first attempt are read (the post follows it closely)."""


async def find_posted(
    channel: discord.PartialMessageable,
    bot_id: int,
    post: Post,
    since: datetime,
    until: datetime | None = None,
) -> list[discord.Message]:
    """Return the bot's messages in `channel` between `since` and `until` showing `post`."""
    rendered = render(post)[-1]  # a post sent in parts is known by its last one
    content = rendered.content.strip()
    choices = sorted(_choice_ids(rendered.view.to_components() if rendered.view else []))
    found = []
    history = channel.history(limit=LOOK_AHEAD, after=since, before=until, oldest_first=True)
    async for message in history:
        if message.author.id != bot_id or message.content.strip() != content:
            continue
        shown = [component.to_dict() for component in message.components]
        if sorted(_choice_ids(shown)) == choices:
            found.append(message)
    return found


def _choice_ids(components: Any) -> Iterator[str]:
    """Yield every custom id and select option value in a component tree."""
    if isinstance(components, list):
        for component in components:
            yield from _choice_ids(component)
    elif isinstance(components, dict):
        for key in ("custom_id", "value"):
            if isinstance(components.get(key), str):
                yield components[key]
        for nested in ("components", "options"):
            if nested in components:
                yield from _choice_ids(components[nested])
