"""The Discord adapter: discord.py gateway and REST behind the `ChatPlatform` port."""

from __future__ import annotations

from adapters.discord.adapter import DiscordAdapter, intents_error, point_at

__all__ = ["DiscordAdapter", "intents_error", "point_at"]
