"""Capabilities, each plugged into the app by its `setup(app)`."""

from __future__ import annotations

from bot.features import election, games, help, posts, privacy

FEATURES = (help, posts, games, election, privacy)

__all__ = ["FEATURES"]
