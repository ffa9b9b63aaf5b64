"""Capabilities, each plugged into the app by its `setup(app)`."""

from __future__ import annotations

from bot.features import games, help, posts, privacy

FEATURES = (help, posts, games, privacy)

__all__ = ["FEATURES"]
