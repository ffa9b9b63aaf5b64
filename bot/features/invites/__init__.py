"""Co-optation: members bring people they know, and are offered to welcome them."""

from __future__ import annotations

from datetime import datetime

from bot.config import CommunityConfig, Settings
from bot.domain import MemberJoined
from bot.feature import CommunityLines, ConfigSection, Feature, FeatureContext
from bot.features.invites._commands import InviteCommands
from bot.features.invites._config import InvitesConfig
from bot.features.invites._cooptation import Cooptation, Refusal
from bot.personal_data import PersonalData
from bot.storage import MemberTable
from bot.storage.invites import CooptationRow, InviteLinkRow

__all__ = ["FEATURE", "Cooptation", "InvitesConfig", "Refusal", "setup"]

INVITES_DATA = (
    PersonalData(name="invite_links", table=MemberTable(model=InviteLinkRow)),
    PersonalData(
        name="brought_by", table=MemberTable(model=CooptationRow, member_column="newcomer_id")
    ),
    PersonalData(
        name="brought", table=MemberTable(model=CooptationRow, member_column="by_member_id")
    ),
)
"""A member's invitation link, who brought them, and whom they brought."""


def setup(app: FeatureContext) -> None:
    """Declare `/terreau invite ...` and attribute joins to members' links."""
    app.holds_personal_data(*INVITES_DATA)
    cooptation = Cooptation(app)
    InviteCommands(app, cooptation).declare()

    def serves(key: str) -> bool:
        community = app.communities.get(key)
        return community is not None and community.section(InvitesConfig).enabled

    async def member_joined(event: MemberJoined) -> None:
        await cooptation.joined(app.communities[event.community], event)

    app.dispatcher.subscribe(MemberJoined, member_joined, serves=serves)
    from bot.features.invites import _metrics  # the figures co-optation adds to reports

    _metrics.register()


def check(_settings: Settings, _now: datetime) -> CommunityLines:
    """Return what `terreau check` prints of how a community's joins are attributed."""

    def lines(community: CommunityConfig) -> list[str]:
        rules = community.section(InvitesConfig)
        if not rules.enabled:
            return []
        if community.platform == "discord":
            return [
                f"invites: personal links to '{rules.channel}'; a join is attributed to the "
                "link whose use count rose, which Discord shows only with Manage Server "
                "(terreau doctor checks it)"
            ]
        asked = (
            "are asked who brought them in a message only they see (a member picker on Slack), and "
            if rules.ask_newcomers
            else ""
        )
        return [
            f"invites: no invitation links on {community.platform}; newcomers {asked}say who "
            f"brought them with /terreau invite from @member, within {rules.claim_days} days"
        ]

    return lines


FEATURE = Feature(
    name="invites",
    config=ConfigSection("invites", InvitesConfig),
    order=58,
    setup=setup,
    check=check,
)
