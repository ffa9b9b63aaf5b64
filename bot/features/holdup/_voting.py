"""The vote's post: every idea by its number, and a button giving one dot to each."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from bot.domain import Choice, Post
from bot.features._board import vote_id
from bot.features.holdup._rules import BOARD_KIND
from bot.prompts import Catalog
from bot.storage.boards import Item
from bot.storage.holdups import Holdup

MAX_BUTTONS = 25
"""Ideas past this many are dotted with the command (platforms cap a message's choices)."""


def voting_post(
    catalog: Catalog,
    holdup: Holdup,
    ideas: Sequence[Item],
    *,
    closes_at: datetime,
    timezone: str,
) -> Post:
    """Return the post opening the vote, its ideas listed without their authors."""
    post = catalog.post(
        "holdup.posts.voting",
        problem=holdup.problem,
        dots=holdup.dots,
        closes_at=closes_at,
        timezone=timezone,
        ideas=[{"number": idea.number, "text": idea.text} for idea in ideas],
    )
    assert holdup.board_id is not None
    choices = tuple(
        Choice(
            id=vote_id(BOARD_KIND, holdup.board_id, idea.number),
            label=catalog.text("holdup.dot_label", number=idea.number),
        )
        for idea in ideas[:MAX_BUTTONS]
    )
    return dataclasses.replace(post, choices=choices)
