"""Spaces and invitations on Discord: threads opened for a few members, invite links.

A space is a thread rather than a channel: threads need no Manage Channels, members
added to a private thread are the only ones (with moderators) who see it, and an
archived, locked thread keeps its history readable. Calls go through discord.py's
HTTP client, so no channel object needs to be cached first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import discord

from adapters.discord._errors import port_errors
from bot.domain import ChannelRef
from bot.ports import Unsupported

PRIVATE_THREAD: Final = 12
PUBLIC_THREAD: Final = 11
WEEK: Final = 10080
"""The longest auto-archive delay (minutes): Terreau archives silent spaces itself."""
MAX_THREAD_NAME = 100
INVITE_BASE = "https://discord.gg/"


async def open_thread_space(
    http: discord.http.HTTPClient,
    parent: ChannelRef,
    title: str,
    member_ids: Sequence[str],
    *,
    private: bool,
) -> ChannelRef:
    """Start a thread without a message in `parent` and add the members to it."""
    if parent.thread_id is not None:
        raise Unsupported("Discord threads cannot hold threads")
    with port_errors("open_space"):
        thread = await http.start_thread_without_message(
            int(parent.channel_id),
            name=title[:MAX_THREAD_NAME] or "Terreau",
            auto_archive_duration=WEEK,
            type=PRIVATE_THREAD if private else PUBLIC_THREAD,
            invitable=False,
        )
    space = ChannelRef(
        community=parent.community, channel_id=parent.channel_id, thread_id=str(thread["id"])
    )
    await add_to_thread(http, space, member_ids)
    return space


async def add_to_thread(
    http: discord.http.HTTPClient, space: ChannelRef, member_ids: Sequence[str]
) -> None:
    """Add members to a thread (Discord answers 204 for one already in)."""
    thread_id = _thread(space)
    for member_id in dict.fromkeys(member_ids):
        with port_errors("add_to_space"):
            await http.add_user_to_thread(thread_id, int(member_id))


async def archive_thread(http: discord.http.HTTPClient, space: ChannelRef) -> None:
    """Archive and lock a thread: readable, closed to new messages, not deleted."""
    with port_errors("archive_space"):
        await http.edit_channel(_thread(space), archived=True, locked=True)


async def create_invite(http: discord.http.HTTPClient, where: ChannelRef) -> str:
    """Create a unique, permanent invite to `where`'s channel and return its link."""
    with port_errors("create_invite"):
        invite = await http.create_invite(
            int(where.channel_id), max_age=0, max_uses=0, temporary=False, unique=True
        )
    return INVITE_BASE + str(invite["code"])


async def invite_uses(http: discord.http.HTTPClient, guild_id: int) -> Mapping[str, int]:
    """Return each guild invite's use count by link (needs Manage Server)."""
    with port_errors("invite_uses"):
        invites = await http.invites_from(guild_id)
    return {INVITE_BASE + str(invite["code"]): int(invite.get("uses") or 0) for invite in invites}


def _thread(space: ChannelRef) -> int:
    if space.thread_id is None or not space.thread_id.isdecimal():
        raise Unsupported(f"Discord spaces are threads; {space.channel_id} is a channel")
    return int(space.thread_id)
