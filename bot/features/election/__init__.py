"""Member of the month: nominations with reasons, a secret ballot, written rules, restart-safe."""

from __future__ import annotations

from datetime import datetime

from bot.config import CommunityConfig, Settings
from bot.domain import MemberLeft
from bot.feature import CommunityLines, ConfigSection, Feature, FeatureContext
from bot.features.election._ballot import Ballots
from bot.features.election._commands import ElectionCommands
from bot.features.election._config import ElectionConfig, election_findings
from bot.features.election._cycle import Cycle, opening_job_id, tick_job_id
from bot.features.election._opening import opening_plan
from bot.features.election._personal import ELECTION_DATA
from bot.features.election._rules import Refusal
from bot.features.election._tally import Tally, count, count_ranked, count_single
from bot.storage.election import voter_key

__all__ = [
    "FEATURE",
    "Ballots",
    "Cycle",
    "ElectionConfig",
    "Refusal",
    "Tally",
    "count",
    "count_ranked",
    "count_single",
    "opening_job_id",
    "opening_plan",
    "setup",
    "tick_job_id",
    "voter_key",
]


def setup(app: FeatureContext) -> None:
    """Schedule each community's elections, declare `/terreau election ...`, route ballots."""
    app.holds_personal_data(*ELECTION_DATA)
    cycle = Cycle(app)
    cycle.schedule_all()
    ballots = Ballots(app, cycle)
    ElectionCommands(app, cycle, ballots).declare()
    app.on_choice("election", ballots.on_choice)

    async def member_left(event: MemberLeft) -> None:
        community = app.communities.get(event.community)
        if community is not None and community.section(ElectionConfig).enabled:
            await ballots.member_left(community, event.member_id)

    app.dispatcher.subscribe(MemberLeft, member_left)
    from bot.features.election import _metrics  # the figures elections add to reports

    _metrics.register()


def check(_settings: Settings, now: datetime) -> CommunityLines:
    """Return what `terreau check` prints of a community's election openings."""

    def lines(community: CommunityConfig) -> list[str]:
        return opening_plan(community, now) if community.section(ElectionConfig).enabled else []

    return lines


FEATURE = Feature(
    name="election",
    config=ConfigSection("election", ElectionConfig, election_findings),
    order=50,
    setup=setup,
    check=check,
)
