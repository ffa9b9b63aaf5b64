"""Hold-ups: a member brings a problem, the community brainstorms it, ranked ideas come back.

A problem is submitted (by any member, or moderators only) and approved by a
moderator or automatically. Terreau announces it and opens a thread; members
bring ideas there for a while, then each spreads a few dots over the others'
ideas, and the ranked ideas are handed to the requester in the thread, with
thanks to the contributors. The ideas and the dots live on the shared board
(`bot.storage.boards`), the hold-up's own row keeps its phases.
"""

from __future__ import annotations

from bot.domain import MessagePosted
from bot.feature import ConfigSection, Feature, FeatureContext
from bot.features.holdup._commands import HoldupCommands
from bot.features.holdup._config import HoldupConfig, holdup_findings
from bot.features.holdup._ideas import Contributions
from bot.features.holdup._life import HoldupLife
from bot.features.holdup._personal import HOLDUP_DATA
from bot.features.holdup._rules import BOARD_KIND, Refusal, tick_job_id

__all__ = [
    "BOARD_KIND",
    "FEATURE",
    "HoldupConfig",
    "HoldupLife",
    "Refusal",
    "setup",
    "tick_job_id",
]


def setup(app: FeatureContext) -> None:
    """Schedule each community's phase check, declare `/terreau holdup ...`, route Dot clicks."""
    app.holds_personal_data(*HOLDUP_DATA)
    life = HoldupLife(app)
    life.schedule_all()
    ideas = Contributions(app, life)
    HoldupCommands(app, life, ideas).declare()
    app.on_choice("holdup", ideas.on_choice)
    app.dispatcher.subscribe(MessagePosted, ideas.on_message, serves=ideas.serves)
    from bot.features.holdup import _metrics  # hold-up figures in reports

    _metrics.register()


FEATURE = Feature(
    name="holdup",
    config=ConfigSection("holdup", HoldupConfig, holdup_findings),
    order=57,
    setup=setup,
)
