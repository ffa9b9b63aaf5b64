"""`/terreau me ...`: a member's own settings (opt-out, interests, champion)."""

from __future__ import annotations

from bot.feature import Feature, FeatureContext
from bot.features.me._preferences import MAX_TOPICS, declare_commands, parse_topics

__all__ = ["FEATURE", "MAX_TOPICS", "parse_topics", "setup"]


def setup(app: FeatureContext) -> None:
    """Declare `/terreau me optout | optin | interests | champion`."""
    declare_commands(app)


FEATURE = Feature(name="me", order=70, setup=setup)
