"""Affinity groups: a member proposes a topic, others join, a space opens once enough did."""

from __future__ import annotations

from bot.domain import MemberLeft
from bot.feature import ConfigSection, Feature, FeatureContext
from bot.features.groups._commands import GroupCommands
from bot.features.groups._config import GroupsConfig, groups_findings
from bot.features.groups._life import GroupLife, Refusal, join_id, tick_job_id, topic_key
from bot.features.groups._personal import GROUPS_DATA
from bot.storage.groups import Groups

__all__ = [
    "FEATURE",
    "GroupLife",
    "GroupsConfig",
    "Refusal",
    "join_id",
    "setup",
    "tick_job_id",
    "topic_key",
]


def setup(app: FeatureContext) -> None:
    """Schedule each community's check, declare `/terreau group ...`, route Join clicks."""
    app.holds_personal_data(*GROUPS_DATA)
    life = GroupLife(app)
    life.schedule_all()
    commands = GroupCommands(app, life)
    commands.declare()
    app.on_choice("groups", commands.on_choice)

    async def member_left(event: MemberLeft) -> None:
        community = app.communities.get(event.community)
        if community is None or not community.section(GroupsConfig).enabled:
            return
        community_id = app.known_community_id(event.community)
        if community_id is None:
            return
        async with app.store.transaction() as uow:
            await uow.repository(Groups).erase_memberships(community_id, event.member_id)

    app.dispatcher.subscribe(MemberLeft, member_left)


FEATURE = Feature(
    name="groups",
    config=ConfigSection("groups", GroupsConfig, groups_findings),
    order=55,
    setup=setup,
)
