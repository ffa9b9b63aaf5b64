"""Guild Scheduled Events: a live session listed under the server's Events.

discord.py's `Guild.create_scheduled_event` builds the request: on a voice or
stage channel the entity type follows from the channel; without one the event is
external, which Discord accepts only with a location and an end time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from adapters.discord._errors import port_errors
from bot.domain import ScheduledEvent
from bot.ports import NotFound, Unsupported

if TYPE_CHECKING:
    from discord.http import HTTPClient

MAX_NAME = 100
MAX_DESCRIPTION = 1000
MAX_LOCATION = 100


async def create_scheduled_event(guild: discord.Guild, event: ScheduledEvent) -> str:
    """Create a guild-only scheduled event (needs Manage Events) and return its id."""
    name = event.title[:MAX_NAME] or "Terreau"
    description = event.description[:MAX_DESCRIPTION]
    with port_errors("create_scheduled_event"):
        if event.voice_channel_id is not None:
            channel = await _voice_channel(guild, event.voice_channel_id)
            created = await guild.create_scheduled_event(
                name=name,
                description=description,
                start_time=event.starts_at,
                end_time=event.ends_at,
                channel=channel,
                privacy_level=discord.PrivacyLevel.guild_only,
            )
        else:
            created = await guild.create_scheduled_event(
                name=name,
                description=description,
                start_time=event.starts_at,
                end_time=event.ends_at,
                entity_type=discord.EntityType.external,
                location=event.location[:MAX_LOCATION] or name,
                privacy_level=discord.PrivacyLevel.guild_only,
            )
    return str(created.id)


SCHEDULED, ACTIVE, COMPLETED, CANCELLED = 1, 2, 3, 4
"""Discord's statuses of a Guild Scheduled Event."""


async def cancel_scheduled_event(http: HTTPClient, guild_id: int, event_id: str) -> None:
    """Cancel an event to come, or end one under way; leave one already over as it is.

    Discord moves an event only forward (scheduled to active or cancelled, active to
    completed), so its status is read first.
    """
    if not event_id.isdecimal():
        raise NotFound(f"{event_id!r} is not a Discord scheduled event id")
    with port_errors("cancel_scheduled_event"):
        found = await http.get_scheduled_event(guild_id, int(event_id), False)
        status = found.get("status")
        if status == SCHEDULED:
            await http.edit_scheduled_event(guild_id, int(event_id), status=CANCELLED)
        elif status == ACTIVE:
            await http.edit_scheduled_event(guild_id, int(event_id), status=COMPLETED)


async def _voice_channel(
    guild: discord.Guild, channel_id: str
) -> discord.VoiceChannel | discord.StageChannel:
    if not channel_id.isdecimal():
        raise Unsupported(f"{channel_id!r} is not a Discord channel id")
    channel = guild.get_channel(int(channel_id)) or await guild.fetch_channel(int(channel_id))
    if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
        raise Unsupported(f"channel {channel_id} is neither a voice nor a stage channel")
    return channel
