"""Live sessions: a time-boxed hour where members ask, upvote, and hosts answer the top questions.

Moderators schedule a session (`/terreau live schedule`, or a cron under
`[[communities.live.schedules]]`); Terreau announces it with an "I'm interested"
button, lists it on the platform's calendar where there is one (a Discord Guild
Scheduled Event), reminds the interested members privately shortly before, opens
it at its start, and at its end posts a summary and sends the hosts the questions
left open. Questions and upvotes live on a board (`bot.storage.boards`), the
mechanism hold-ups share.
"""

from __future__ import annotations

from bot.feature import ConfigSection, Feature, FeatureContext
from bot.features.live._commands import LiveCommands, parse_start
from bot.features.live._config import LiveConfig, LiveScheduleConfig, live_findings
from bot.features.live._personal import LIVE_DATA
from bot.features.live._questions import Questions
from bot.features.live._sessions import (
    Refusal,
    Sessions,
    interested_id,
    purge_job_id,
    schedule_ledger_id,
    tick_job_id,
)

__all__ = [
    "FEATURE",
    "LiveConfig",
    "LiveScheduleConfig",
    "Refusal",
    "Sessions",
    "interested_id",
    "parse_start",
    "purge_job_id",
    "schedule_ledger_id",
    "setup",
    "tick_job_id",
]


def setup(app: FeatureContext) -> None:
    """Schedule each community's check, declare `/terreau live ...`, route its buttons."""
    app.holds_personal_data(*LIVE_DATA)
    sessions = Sessions(app)
    sessions.schedule_all()
    commands = LiveCommands(app, sessions, Questions(app))
    commands.declare()
    app.on_choice("live", commands.on_choice)
    from bot.features.live import _metrics  # live figures in reports

    _metrics.register()


FEATURE = Feature(
    name="live",
    config=ConfigSection("live", LiveConfig, live_findings),
    order=67,
    setup=setup,
)
