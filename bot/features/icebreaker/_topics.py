"""Which question fits: pool items whose tags meet the invitees' interests."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from bot.prompts import ContentItem

log = logging.getLogger(__name__)


def interests_of(
    declared: Mapping[str, frozenset[str]],
    channels: Mapping[str, frozenset[str]],
    channel_tags: Mapping[str, Iterable[str]],
    member_ids: Iterable[str],
) -> dict[str, frozenset[str]]:
    """Return each member's topics: those they declared, else the tags of channels they used.

    `channels` holds the channel purposes each member posted or reacted in;
    `channel_tags` maps a purpose to its topics (config `icebreaker.channel_tags`).
    """
    found: dict[str, frozenset[str]] = {}
    for member in member_ids:
        topics = declared.get(member)
        if not topics:
            topics = frozenset(
                tag for purpose in channels.get(member, ()) for tag in channel_tags.get(purpose, ())
            )
        found[member] = topics
    return found


def fitting_items(
    items: Iterable[ContentItem], interests: Mapping[str, frozenset[str]]
) -> list[str]:
    """Return the ids of the items that fit the most members; every item when none fits."""
    scored = [
        (sum(1 for topics in interests.values() if topics & set(item.tags)), item.id)
        for item in items
    ]
    best = max((score for score, _ in scored), default=0)
    if best == 0:
        return [item_id for _, item_id in scored]
    return [item_id for score, item_id in scored if score == best]


DUD_AFTER = 3
"""A question asked this many times without a single answer within 7 days is a dud."""


def without_duds(item_ids: Sequence[str], conversion: Mapping[str, tuple[int, int]]) -> list[str]:
    """Drop the questions that never worked here, unless that would leave none.

    `conversion` maps a question id to (invitations old enough to tell, answered).
    """
    kept = [
        item
        for item in item_ids
        if not (conversion.get(item, (0, 0))[0] >= DUD_AFTER and conversion[item][1] == 0)
    ]
    return kept or list(item_ids)
