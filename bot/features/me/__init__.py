"""`/terreau me ...`: a member's own settings (opt-out, interests, champion)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.me._preferences import MAX_TOPICS, declare_commands, parse_topics

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["MAX_TOPICS", "parse_topics", "setup"]


def setup(app: App) -> None:
    """Declare `/terreau me optout | optin | interests | champion`."""
    declare_commands(app)
