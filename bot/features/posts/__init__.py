"""Regular posts: scheduled rituals drawn from a content pool without repeats."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.posts._commands import declare_commands
from bot.features.posts._rituals import Rituals, job_id

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["Rituals", "job_id", "setup"]


def setup(app: App) -> None:
    """Schedule every configured ritual and declare `/terreau posts ...`."""
    rituals = Rituals(app)
    rituals.schedule_all()
    declare_commands(app, rituals)
