"""Capabilities, each plugged into the app by its `setup(app)`."""

from __future__ import annotations

from bot.features import election, games, help, icebreaker, me, posts, privacy, report

FEATURES = (help, privacy, posts, games, election, icebreaker, me, report)

__all__ = ["FEATURES"]
