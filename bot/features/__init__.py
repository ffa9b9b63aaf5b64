"""Capabilities, each plugged into the app by its `setup(app)`."""

from __future__ import annotations

from bot.features import help, posts, privacy

FEATURES = (help, posts, privacy)

__all__ = ["FEATURES"]
