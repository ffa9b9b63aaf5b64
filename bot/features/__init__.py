"""Capabilities, each plugged into the app by its `setup(app)`."""

from __future__ import annotations

from bot.features import help, icebreaker, me, posts

FEATURES = (help, posts, icebreaker, me)

__all__ = ["FEATURES"]
