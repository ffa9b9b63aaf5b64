"""Capabilities, each plugged into the app by its `setup(app)`."""

from __future__ import annotations

from bot.features import help, posts, report

FEATURES = (help, posts, report)

__all__ = ["FEATURES"]
