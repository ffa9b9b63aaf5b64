"""Capabilities, each plugged into the app by its `setup(app)`."""

from __future__ import annotations

from bot.features import election, help, posts

FEATURES = (help, posts, election)

__all__ = ["FEATURES"]
