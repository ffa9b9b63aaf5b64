"""What every part of the hold-ups shares: the refusal, ids, where a hold-up talks, names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import commands
from bot.domain import ChannelRef, Mention, Post
from bot.features._board import mentions
from bot.storage import UnitOfWork
from bot.storage.holdups import Holdup

if TYPE_CHECKING:
    from bot.feature import FeatureContext

BOARD_KIND = "holdup"
"""The kind of the shared board that holds a hold-up's ideas and dots."""

MAX_PROBLEM = 200
MAX_TEXT = 1000
"""Longest problem, and longest context, wanted answers, idea or follow-up kept (cut beyond)."""


class Refusal(commands.Refusal):
    """A request refused, with the prompt key (under `holdup.refuse.`) saying why."""

    prefix = "holdup.refuse."


def tick_job_id(community_key: str) -> str:
    """Return the scheduler id of a community's phase check."""
    return f"holdup:{community_key}:tick"


def purge_job_id(community_key: str) -> str:
    """Return the scheduler id of a community's daily purge of old hold-ups."""
    return f"holdup:{community_key}:purge"


async def queue(
    app: FeatureContext, uow: UnitOfWork, holdup: Holdup, step: str, post: Post, where: ChannelRef
) -> int:
    """Queue a hold-up's post in the outbox, its nonce naming the hold-up and the step."""
    return await app.delivery.enqueue(
        uow,
        community_id=holdup.community_id,
        where=where,
        post=post,
        nonce=f"holdup:{where.community}:{holdup.id}:{step}",
    )


def space_of(community_key: str, holdup: Holdup) -> ChannelRef | None:
    """Return where a hold-up talks, once its thread or space is open."""
    if holdup.space_channel_id is None:
        return None
    return ChannelRef(
        community=community_key,
        channel_id=holdup.space_channel_id,
        thread_id=holdup.space_thread_id,
    )


async def mention(uow: UnitOfWork, community_id: int, member_id: str) -> Mention | None:
    """Return a mention of a member, or None for an erased one."""
    if not member_id:
        return None
    return (await mentions(uow, community_id, [member_id]))[member_id]


async def thanked(uow: UnitOfWork, community_id: int, member_ids: Sequence[str]) -> list[Mention]:
    """Return mentions of the members to thank, leaving out those who asked not to be tagged."""
    opted_out = await uow.optouts.members(community_id, "tagging")
    kept = [m for m in member_ids if m and m not in opted_out]
    return list((await mentions(uow, community_id, kept)).values())
